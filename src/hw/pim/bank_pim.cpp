// PIM units inside the DRAM dies (AttAcc/Duplex bank-level PIM, Samsung HBM-PIM with one unit
// per two banks, bank-group PIM): a GEMV is timed from the command sequence each channel runs,
// under the DRAM timing constraints (the AttAcc HBM3-PIM rules):
//  - the input vector is written into the PIM buffers (one write per access granule, on the
//    channel's data bus), overlapping the first all-bank row activation;
//  - every row of weights is opened in all banks at once (ACTab), swept by MAC commands, one per
//    access granule per unit every `mac_interval` cycles (power-limited or not), and closed
//    (PREab) no earlier than tRAS after the activation and tRTP after the last MAC; the next
//    activation waits tRP after the precharge and tRC after the previous activation;
//  - the results are read back (tCL, then one read per granule);
//  - refresh stops all banks for tRFC every tREFI.
// `tokens` input vectors take ceil(tokens / input_vectors) such passes.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "hw/pim/hbm_timing.hpp"
#include "hw/pim/pim_model.hpp"

namespace sievesim {
namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

class InDramPim final : public PimModel {
 public:
  explicit InDramPim(const Params& p)
      : org_(read_hbm_org(p)),
        t_(read_hbm_timing(p, org_)),
        banks_per_unit_(p.param<std::int64_t>("banks_per_unit").min(1).max(64).required()),
        power_limit_(p.param<bool>("power_limit").dflt(true)),
        mac_limited_(
            p.param<std::int64_t>("mac_interval_power_limited_tck").min(1).max(1024).required()),
        mac_free_(p.param<std::int64_t>("mac_interval_tck").min(1).max(1024).required()),
        input_vectors_(p.param<std::int64_t>("input_vectors").min(1).max(1024).dflt(1)),
        input_bytes_(p.param<std::int64_t>("input_element_bytes").min(1).max(8).dflt(2)),
        output_bytes_(p.param<std::int64_t>("output_element_bytes").min(1).max(8).dflt(2)),
        softmax_per_tck_(p.param<std::int64_t>("softmax_elements_per_tck").min(1).dflt(16)) {
    p.param<std::string>("description").dflt("");
    if (org_.banks_per_channel() % banks_per_unit_ != 0)
      p.fail("banks_per_unit", "expected a divisor of the " +
                                   std::to_string(org_.banks_per_channel()) + " banks per channel");
  }

  PimCost gemv(std::int64_t rows, std::int64_t cols, std::int32_t tokens, DType weights,
               std::int64_t channels) const override {
    PimCost c;
    if (tokens <= 0 || rows <= 0 || cols <= 0) return c;
    const std::int64_t ch = channels_used(channels);
    const double bytes = static_cast<double>(rows * cols) * dtype_bytes(weights);
    const auto per_channel = static_cast<std::int64_t>(std::ceil(bytes / static_cast<double>(ch)));
    return sweep_passes(per_channel, rows, ceil_div(cols, ch), tokens, bytes, ch);
  }

  PimCost attention_head(const AttentionHead& h) const override {
    PimCost c;
    if (h.context <= 0 || h.queries <= 0) return c;
    const double b = dtype_bytes(h.dtype);
    // Score: queries x K^T, K = [context x key_dim] in one channel.
    const double k_bytes = static_cast<double>(h.context * h.key_dim) * b;
    c += sweep_passes(static_cast<std::int64_t>(std::ceil(k_bytes)), h.key_dim, h.context,
                      static_cast<std::int32_t>(h.queries), k_bytes, 1);
    // Softmax over the scores, in the PIM buffers.
    const std::int64_t sm = ceil_div(h.context * h.queries, softmax_per_tck_);
    c.commands.softmax += h.queries;
    c.time_ps += t_.with_refresh(t_.ps(sm));
    // Context: probabilities x V, V = [context x value_dim].
    const double v_bytes = static_cast<double>(h.context * h.value_dim) * b;
    c += sweep_passes(static_cast<std::int64_t>(std::ceil(v_bytes)), h.context, h.value_dim,
                      static_cast<std::int32_t>(h.queries), v_bytes, 1);
    return c;
  }

  std::int64_t channels() const override { return org_.total_channels(); }
  double capacity_bytes() const override {
    return org_.capacity_bytes_per_stack * static_cast<double>(org_.stacks);
  }
  double peak_bandwidth_Bps() const override {
    // Every unit reads one granule every (unlimited) MAC interval.
    const double units = static_cast<double>(org_.total_channels() * units_per_channel());
    return units * static_cast<double>(org_.access_bytes) /
           (static_cast<double>(t_.ps(mac_free_)) * 1e-12);
  }
  // The MAC lanes keep pace with the granule: one MAC per 2-byte weight element per read.
  double peak_flops() const override { return peak_bandwidth_Bps(); }
  std::string describe() const override {
    std::ostringstream s;
    s << "in-DRAM PIM, " << org_.stacks << " stacks x " << org_.channels << " channels, "
      << units_per_channel() << " units per channel, tCK " << t_.tck_ns << " ns";
    return s.str();
  }

 private:
  std::int64_t units_per_channel() const { return org_.banks_per_channel() / banks_per_unit_; }
  std::int64_t mac_interval() const { return power_limit_ ? mac_limited_ : mac_free_; }

  // Cycles from the first all-bank activation to the last precharge of one sweep of
  // `bytes_per_bank` in every bank of a channel. Adds the commands to `cmd`.
  std::int64_t mac_phase(std::int64_t bytes_per_bank, PimCommands& cmd) const {
    const std::int64_t granules = ceil_div(bytes_per_bank, org_.access_bytes);
    const std::int64_t per_row = org_.row_bytes / org_.access_bytes;
    const std::int64_t full = granules / per_row, rest = granules % per_row;
    // One row: ACT, MACs (each unit visits its banks in turn), PRE.
    auto row = [&](std::int64_t g, std::int64_t& pre_at) {
      const std::int64_t macs = g * banks_per_unit_;
      pre_at = std::max(t_.ras, t_.rcd + (macs - 1) * mac_interval() + t_.rtp);
      cmd.mac += macs;
      return std::max(pre_at + t_.rp, t_.rc);  // to the next activation
    };
    std::int64_t pre_full = 0, pre_rest = 0;
    const std::int64_t period_full = full > 0 ? row(per_row, pre_full) : 0;
    if (full > 1) cmd.mac += (full - 1) * per_row * banks_per_unit_;
    if (rest > 0) row(rest, pre_rest);
    const std::int64_t rows = full + (rest > 0 ? 1 : 0);
    cmd.activate += rows;
    cmd.precharge += rows;
    // All rows but the last run their whole period; the sweep ends with the last precharge.
    if (rest > 0) return full * period_full + pre_rest;
    return (full - 1) * period_full + pre_full;
  }

  // `passes` sweeps of a matrix of which each channel holds `bytes_per_channel` (K = `k` inputs,
  // `outputs` results per channel), for `tokens` input vectors; `bytes` is the whole matrix and
  // `spanned` the channels it spans.
  PimCost sweep_passes(std::int64_t bytes_per_channel, std::int64_t k, std::int64_t outputs,
                       std::int32_t tokens, double bytes, std::int64_t spanned) const {
    PimCost c;
    const std::int64_t passes = ceil_div(tokens, input_vectors_);
    const std::int64_t per_bank = ceil_div(bytes_per_channel, org_.banks_per_channel());
    const std::int64_t bus = std::max(t_.bl, t_.ccd_s);  // one granule on the data bus
    std::int64_t cycles = 0;
    std::int32_t left = tokens;
    for (std::int64_t pass = 0; pass < passes; ++pass) {
      const std::int64_t vec = std::min<std::int64_t>(left, input_vectors_);
      left -= static_cast<std::int32_t>(vec);
      const std::int64_t writes = ceil_div(k * vec * input_bytes_, org_.access_bytes);
      const std::int64_t reads = ceil_div(outputs * vec * output_bytes_, org_.access_bytes);
      PimCommands cmd;
      const std::int64_t macs = mac_phase(per_bank, cmd);
      // The input streams in while the first row opens; MACs start once both are done.
      const std::int64_t start = std::max(writes * bus, t_.rcd) - t_.rcd;
      // The results come out of the PIM buffers while the banks precharge.
      cycles += start + macs + std::max(t_.rp, t_.cl + reads * bus);
      cmd.write_input = writes;
      cmd.read_output = reads;
      c.commands.activate += cmd.activate;
      c.commands.precharge += cmd.precharge;
      c.commands.mac += cmd.mac;
      c.commands.write_input += cmd.write_input;
      c.commands.read_output += cmd.read_output;
      c.io_bytes += static_cast<double>((writes + reads) * org_.access_bytes * spanned);
    }
    const sim_time_t busy = t_.ps(cycles);
    c.time_ps = t_.with_refresh(busy);
    c.refresh_ps = c.time_ps - busy;
    c.passes = passes;
    c.dram_bytes = bytes * static_cast<double>(passes);
    return c;
  }

  HbmOrg org_;
  HbmTiming t_;
  std::int64_t banks_per_unit_;
  bool power_limit_;
  std::int64_t mac_limited_, mac_free_;
  std::int64_t input_vectors_, input_bytes_, output_bytes_, softmax_per_tck_;
};

}  // namespace

SIEVESIM_REGISTER(PimRegistry, "in-dram",
                  "PIM units in the DRAM dies, timed from the all-bank command sequence",
                  [](const Params& p) { return std::make_unique<InDramPim>(p); })

}  // namespace sievesim
