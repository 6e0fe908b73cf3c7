// PIM units on the logic (base) die: AttAcc's "buffer" PIM (1x the external bandwidth) and
// Duplex's Logic-PIM (4x through extra TSVs, 21.3 TFLOPS per stack). The units read the weights
// through ordinary row activations and column reads, interleaved over all banks, so a GEMV
// streams at the TSV bandwidth unless the activation rate (tRRD, tFAW per pseudo-channel) or the
// units' MAC rate limits it; the input vector and the results stay on the logic die.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "hw/pim/hbm_timing.hpp"
#include "hw/pim/pim_model.hpp"

namespace sievesim {
namespace {

class LogicDiePim final : public PimModel {
 public:
  explicit LogicDiePim(const Params& p)
      : org_(read_hbm_org(p)),
        t_(read_hbm_timing(p, org_)),
        multiple_(p.param<double>("internal_bandwidth_multiple")
                      .above(0)
                      .max(64)
                      .desc("bandwidth through the TSVs to the logic die, as a multiple of the "
                            "stack's external bandwidth")
                      .required()),
        flops_per_stack_(p.param<double>("compute_tflops_per_stack")
                             .above(0)
                             .desc("MAC throughput of the units on one stack's logic die, "
                                   "TFLOP/s")
                             .required() *
                         1e12),
        input_vectors_(p.param<std::int64_t>("input_vectors")
                           .min(1)
                           .max(1024)
                           .desc("input vectors (tokens) handled per weight sweep: a GEMV of n "
                                 "tokens takes ceil(n / input_vectors) passes")
                           .dflt(1)),
        kernel_overhead_ps_(ns_to_ps(p.param<double>("kernel_overhead_ns")
                                         .min(0)
                                         .desc("fixed cost of every PIM kernel (pass), ns")
                                         .dflt(20))) {
    p.param<std::string>("description").desc("free text naming the part (not used)").dflt("");
    set_refresh(t_.ps(t_.refi), t_.ps(t_.rfc));
    set_energy(std::make_shared<const PimEnergy>(p.child("energy"), command_shape()));
  }

  std::int64_t channels() const override { return org_.total_channels(); }
  double capacity_bytes() const override {
    return org_.capacity_bytes_per_stack * static_cast<double>(org_.stacks);
  }
  double peak_bandwidth_Bps() const override {
    return org_.external_Bps_per_stack() * multiple_ * static_cast<double>(org_.stacks);
  }
  double peak_flops() const override { return flops_per_stack_ * static_cast<double>(org_.stacks); }
  // The units read ordinary column accesses: an activation opens one bank, a "MAC" is one
  // granule read through the TSVs.
  PimCommandShape command_shape() const override { return sievesim::command_shape(org_, t_, 1, 1); }
  std::string describe() const override {
    std::ostringstream s;
    s << "logic-die PIM, " << org_.stacks << " stacks, " << multiple_ << "x internal bandwidth, "
      << flops_per_stack_ / 1e12 << " TFLOPS per stack";
    return s.str();
  }

 protected:
  PimCost gemv_work(std::int64_t rows, std::int64_t cols, std::int32_t tokens, DType weights,
                    std::int64_t channels) const override {
    PimCost c;
    if (tokens <= 0 || rows <= 0 || cols <= 0) return c;
    const std::int64_t ch = channels_used(channels);
    const double bytes =
        (static_cast<double>(rows) * static_cast<double>(cols)) * dtype_bytes(weights);
    return passes(bytes, 2.0 * (static_cast<double>(rows) * static_cast<double>(cols)), tokens, ch,
                  c);
  }

  // The units stream K and V through the TSVs; heads follow one another without overlap.
  PimCost attention_work(const AttentionHead& h, std::int64_t count) const override {
    PimCost c;
    if (h.context <= 0 || h.queries <= 0 || count <= 0) return c;
    const double b = dtype_bytes(h.dtype);
    const auto q = static_cast<std::int32_t>(h.queries);
    passes((static_cast<double>(h.context) * static_cast<double>(h.key_dim)) * b,
           2.0 * (static_cast<double>(h.context) * static_cast<double>(h.key_dim)), q, 1, c);
    c.commands.softmax += h.queries;
    passes((static_cast<double>(h.context) * static_cast<double>(h.value_dim)) * b,
           2.0 * (static_cast<double>(h.context) * static_cast<double>(h.value_dim)), q, 1, c);
    const PimCost one = c;
    for (std::int64_t i = 1; i < count; ++i) c += one;
    return c;
  }

  // The partial results of a head split over `parts` channels are combined on the logic die,
  // which reads them at one channel's share of the internal bandwidth.
  sim_time_t merge_ps(const AttentionHead& h, std::int64_t parts) const override {
    const double bytes = static_cast<double>(parts * (h.value_dim + 2) * h.queries) * 2.0;
    const double per_channel_Bps =
        peak_bandwidth_Bps() / static_cast<double>(org_.total_channels());
    return seconds_to_ps(bytes / per_channel_Bps) + kernel_overhead_ps_;
  }

 private:
  // Adds ceil(tokens / input_vectors) sweeps of `bytes` over `spanned` channels to `c`.
  PimCost& passes(double bytes, double flops_per_token, std::int32_t tokens, std::int64_t spanned,
                  PimCost& c) const {
    const std::int64_t n = (tokens + input_vectors_ - 1) / input_vectors_;
    const double ch = static_cast<double>(spanned);
    const double per_channel_Bps =
        peak_bandwidth_Bps() / static_cast<double>(org_.total_channels());
    const double per_channel_flops = peak_flops() / static_cast<double>(org_.total_channels());
    // Rows to open per pseudo-channel, at most four per tFAW and one per tRRD_S.
    const double rows = std::ceil(bytes / ch / static_cast<double>(org_.pseudo_channels) /
                                  static_cast<double>(org_.row_bytes));
    const double act_s =
        rows * static_cast<double>(t_.ps(std::max(t_.rrd_s, (t_.faw + 3) / 4))) * 1e-12;
    sim_time_t busy = 0;
    std::int32_t left = tokens;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto vec = std::min<std::int32_t>(left, static_cast<std::int32_t>(input_vectors_));
      left -= vec;
      const double stream_s = bytes / ch / per_channel_Bps;
      const double compute_s = flops_per_token * vec / ch / per_channel_flops;
      busy += seconds_to_ps(std::max({stream_s, act_s, compute_s})) + kernel_overhead_ps_ +
              t_.ps(t_.rcd + t_.cl);
      c.commands.activate += static_cast<std::int64_t>(rows) * org_.pseudo_channels;
      c.commands.precharge += static_cast<std::int64_t>(rows) * org_.pseudo_channels;
      const auto granules =
          static_cast<std::int64_t>(std::ceil(bytes / ch / static_cast<double>(org_.access_bytes)));
      c.commands.mac += granules;
      c.commands.mac_vectors += granules * vec;
    }
    c.time_ps += busy;
    c.busy_ps += busy;
    c.passes += n;
    c.dram_bytes += bytes * static_cast<double>(n);
    return c;
  }

  HbmOrg org_;
  HbmTiming t_;
  double multiple_, flops_per_stack_;
  std::int64_t input_vectors_;
  sim_time_t kernel_overhead_ps_;
};

}  // namespace

SIEVESIM_REGISTER(PimRegistry, "logic-die",
                  "PIM units on the base die streaming weights through the TSVs",
                  [](const Params& p) { return std::make_unique<LogicDiePim>(p); })

}  // namespace sievesim
