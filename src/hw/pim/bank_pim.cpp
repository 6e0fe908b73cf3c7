// PIM units inside the DRAM dies (AttAcc/Duplex bank-level PIM, Samsung HBM-PIM with one unit
// per two banks, bank-group PIM): a GEMV is timed from the command sequence each channel runs,
// under the timing rules of AttAcc's HBM3-PIM model (scale-snu/attacc_simulator,
// pim_ramulator_src/HBM3-PIM.cpp, its PIM scheduler and controller, and its trace generators
// pim_ramulator_src/trace_gen/gen_trace_attacc_{bank,bg}.py):
//  - MAC commands are broadcast: all-bank (MACAB, one unit per bank) or same-bank (MACSB, one
//    bank of every bank group, read by the bank group's unit). Successive MACs of either kind
//    are nCCDAB = nCCDSB apart: 6 tCK under the power limit, 4 = nCCDL without (the _NPC
//    presets). A unit with several banks reads them in turn, one bank per MACSB.
//  - A row is opened (ACTAB for all banks, ACTSB for one bank of every bank group) tRCD before
//    its first MAC and closed no earlier than tRAS after the activation and tRTP (nRTPL) after
//    its last MAC; reopening waits tRP after the precharge and tRC after the activation. The
//    scheduler issues row commands past the barriers, and a row and a column command in one
//    cycle, so a bank-group unit opens its next bank while it computes on the current one.
//  - Input-vector writes into the PIM buffers (WRGB) and result moves (MVSB, read-back) use a
//    data path of their own, so they run alongside the MACs ("can be executed simultaneously
//    with MACAB/MACSB/MACPB because their data paths are different"), one command at a time:
//    the writes of a channel all address one bank group (the traces' WRGB addresses carry no
//    bank-group bits), so they are nCCDL apart; result moves alternate bank groups (nCCDS).
//  - The traces write head i+1's input while head i's MACs run: the buffer holds the input of
//    the sweep being computed and of the next one (`input_buffer_sets`). So with several passes
//    the next pass's writes queue behind the current pass's writes and reads on the data path
//    and overlap its MACs; its MACs start once its input is in and its rows are open. Where the
//    writes take longer than the MACs, the overlap is only partial.
// Refresh is applied by PimModel at fixed times (refresh_end_ps), not here.
#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "hw/pim/hbm_timing.hpp"
#include "hw/pim/pim_model.hpp"

namespace sievesim {
namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

// One sweep of a weight matrix (or a K or V slice) by every unit of a channel.
struct Sweep {
  std::int64_t matrix = 0;    // rows of the same matrix stay open from one pass to the next
  std::int64_t granules = 0;  // access granules per bank
  std::int64_t writes = 0;    // input-vector writes before its MACs
  std::int64_t reads = 0;     // result moves after its MACs
  std::int64_t after = -1;    // sweep whose results are this one's input (attention context)
  std::int64_t delay = 0;     // cycles from those results to this input (softmax)
  std::int64_t vectors = 1;   // input vectors each MAC applies
};

class InDramPim final : public PimModel {
 public:
  explicit InDramPim(const Params& p)
      : org_(read_hbm_org(p)),
        t_(read_hbm_timing(p, org_)),
        banks_per_unit_(p.param<std::int64_t>("banks_per_unit")
                            .min(1)
                            .max(64)
                            .desc("banks one PIM unit serves, read in turn (1: a unit per bank; "
                                  "banks_per_group: a unit per bank group); divides the banks "
                                  "per channel")
                            .required()),
        power_limit_(p.param<bool>("power_limit")
                         .desc("MACs spaced so that one stack's MAC stream stays within "
                               "mac_power_budget_W_per_stack; false: tCCD_L apart")
                         .dflt(true)),
        budget_W_(p.param<double>("mac_power_budget_W_per_stack")
                      .above(0)
                      .max(1e4)
                      .desc("power one stack's MAC stream may draw under the power limit, W: "
                            "its MAC reads and arithmetic and the row activations they need, "
                            "at the energy section's prices (docs/energy.md); sets the MAC "
                            "interval")
                      .required()),
        input_vectors_(p.param<std::int64_t>("input_vectors")
                           .min(1)
                           .max(1024)
                           .desc("input vectors (tokens) the buffers hold per weight sweep: a "
                                 "GEMV of n tokens takes ceil(n / input_vectors) passes")
                           .dflt(1)),
        // AttAcc's traces write the next head's query while the current head's MACs run.
        input_sets_(p.param<std::int64_t>("input_buffer_sets")
                        .min(1)
                        .max(8)
                        .desc("input sets the buffers hold at once: with 2 the next pass's "
                              "input is written while the current pass computes")
                        .dflt(2)),
        input_bytes_(p.param<std::int64_t>("input_element_bytes")
                         .min(1)
                         .max(8)
                         .desc("bytes per input element written into the PIM buffers")
                         .dflt(2)),
        output_bytes_(p.param<std::int64_t>("output_element_bytes")
                          .min(1)
                          .max(8)
                          .desc("bytes per result element read back")
                          .dflt(2)),
        softmax_per_tck_(p.param<std::int64_t>("softmax_elements_per_tck")
                             .min(1)
                             .desc("attention scores the softmax unit of a channel handles per "
                                   "tCK")
                             .dflt(16)) {
    p.param<std::string>("description").desc("free text naming the part (not used)").dflt("");
    if (org_.banks_per_channel() % banks_per_unit_ != 0)
      p.fail("banks_per_unit", "expected a divisor of the " +
                                   std::to_string(org_.banks_per_channel()) + " banks per channel");
    set_refresh(t_.ps(t_.refi), t_.ps(t_.rfc));
    set_energy(std::make_shared<const PimEnergy>(p.child("energy"), command_shape()));
    mac_limited_ = power_limited_interval();
  }

  std::int64_t channels() const override { return org_.total_channels(); }
  double capacity_bytes() const override {
    return org_.capacity_bytes_per_stack * static_cast<double>(org_.stacks);
  }
  double peak_bandwidth_Bps() const override {
    // Every unit reads one granule every (unlimited) MAC interval.
    const double units = static_cast<double>(org_.total_channels() * units_per_channel());
    return units * static_cast<double>(org_.access_bytes) /
           (static_cast<double>(t_.ps(t_.ccd_l)) * 1e-12);
  }
  // The MAC lanes keep pace with the granule: one MAC per 2-byte weight element per read.
  double peak_flops() const override { return peak_bandwidth_Bps(); }
  // An all-bank (or same-bank) command addresses one bank per unit of the channel.
  PimCommandShape command_shape() const override {
    return sievesim::command_shape(org_, t_, units_per_channel(), units_per_channel());
  }
  std::string describe() const override {
    std::ostringstream s;
    s << "in-DRAM PIM, " << org_.stacks << " stacks x " << org_.channels << " channels, "
      << units_per_channel() << " units per channel, tCK " << t_.tck_ns << " ns, a MAC every "
      << mac_interval() << " tCK";
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
    const auto per_channel = static_cast<std::int64_t>(std::ceil(bytes / static_cast<double>(ch)));
    const std::int64_t outputs = ceil_div(cols, ch);
    std::vector<Sweep> sweeps;
    for (std::int64_t left = tokens; left > 0; left -= input_vectors_) {
      const std::int64_t vec = std::min(left, input_vectors_);
      sweeps.push_back({0, granules_per_bank(per_channel), writes(rows * vec), reads(outputs * vec),
                        -1, 0, vec});
    }
    c.busy_ps = t_.ps(run(sweeps, c.commands));
    c.passes = static_cast<std::int64_t>(sweeps.size());
    c.dram_bytes = bytes * static_cast<double>(c.passes);
    c.io_bytes = static_cast<double>((c.commands.write_input + c.commands.read_output) *
                                     org_.access_bytes * ch);
    c.time_ps = c.busy_ps;
    return c;
  }

  PimCost attention_work(const AttentionHead& h, std::int64_t count) const override {
    PimCost c;
    if (h.context <= 0 || h.queries <= 0 || count <= 0) return c;
    const double b = dtype_bytes(h.dtype);
    const auto k_bytes = static_cast<std::int64_t>(
        std::ceil(static_cast<double>(h.context) * static_cast<double>(h.key_dim) * b));
    const auto v_bytes = static_cast<std::int64_t>(
        std::ceil(static_cast<double>(h.context) * static_cast<double>(h.value_dim) * b));
    // AttAcc's order (gen_trace_attacc_bank.py): the scores of two heads, then their contexts,
    // so one head's softmax and probability moves overlap the other head's score MACs.
    std::vector<Sweep> sweeps;
    std::int64_t matrix = 0;
    for (std::int64_t first = 0; first < count; first += 2) {
      const std::int64_t pair = std::min<std::int64_t>(2, count - first);
      std::vector<std::int64_t> score_at;
      for (std::int64_t i = 0; i < pair; ++i, ++matrix)
        for (std::int64_t left = h.queries; left > 0; left -= input_vectors_) {
          const std::int64_t vec = std::min(left, input_vectors_);
          score_at.push_back(static_cast<std::int64_t>(sweeps.size()));
          sweeps.push_back({2 * matrix, granules_per_bank(k_bytes), writes(h.key_dim * vec),
                            reads(h.context * vec), -1, 0, vec});
        }
      std::size_t s = 0;
      for (std::int64_t i = 0; i < pair; ++i)
        for (std::int64_t left = h.queries; left > 0; left -= input_vectors_) {
          const std::int64_t vec = std::min(left, input_vectors_);
          sweeps.push_back({2 * (matrix - pair + i) + 1, granules_per_bank(v_bytes),
                            writes(h.context * vec), reads(h.value_dim * vec), score_at[s++],
                            ceil_div(h.context * vec, softmax_per_tck_), vec});
        }
    }
    c.busy_ps = t_.ps(run(sweeps, c.commands));
    c.time_ps = c.busy_ps;
    c.passes = static_cast<std::int64_t>(sweeps.size());
    c.commands.softmax += h.queries * count;
    c.dram_bytes = static_cast<double>(k_bytes + v_bytes) *
                   static_cast<double>(ceil_div(h.queries, input_vectors_) * count);
    c.io_bytes =
        static_cast<double>((c.commands.write_input + c.commands.read_output) * org_.access_bytes);
    return c;
  }

  // The partial results of a head split over `parts` channels (output, running maximum and sum
  // per query, flash-decoding style) are written into one channel's buffer, combined by its
  // softmax unit and read back. Assumption: one channel merges, at the data-path rates above.
  sim_time_t merge_ps(const AttentionHead& h, std::int64_t parts) const override {
    const std::int64_t w = parts * writes((h.value_dim + 2) * h.queries);
    const std::int64_t combine = ceil_div(parts * (h.value_dim + 2) * h.queries, softmax_per_tck_);
    const std::int64_t r = reads(h.value_dim * h.queries);
    return t_.ps(w * write_gap() + combine + t_.cl + r * read_gap());
  }

 private:
  std::int64_t units_per_channel() const { return org_.banks_per_channel() / banks_per_unit_; }
  // nCCDAB/nCCDSB: the power-limited interval, or nCCDL without the limit.
  std::int64_t mac_interval() const { return power_limit_ ? mac_limited_ : t_.ccd_l; }
  // The shortest MAC interval (never below tCCD_L) at which a stack's channels, all streaming
  // MACs against one input vector, draw no more than the budget: each MAC's reads and
  // arithmetic, and its share of the activation that opened its rows.
  std::int64_t power_limited_interval() const {
    const PimCommandEnergy& e = energy().per_command();
    const double per_row = static_cast<double>(org_.row_bytes / org_.access_bytes);
    const double mac_pj = e.mac_pj + e.mac_vector_pj + e.activate_pj / per_row;
    const double tck_ps = t_.tck_ns * 1000.0;
    const double cycles = mac_pj * static_cast<double>(org_.channels) / (budget_W_ * tck_ps);
    return std::max(t_.ccd_l, static_cast<std::int64_t>(std::ceil(cycles - 1e-9)));
  }
  std::int64_t write_gap() const { return std::max({t_.bl, t_.ccd_s, t_.ccd_l}); }
  std::int64_t read_gap() const { return std::max(t_.bl, t_.ccd_s); }
  std::int64_t granules_per_bank(std::int64_t bytes_per_channel) const {
    return ceil_div(ceil_div(bytes_per_channel, org_.banks_per_channel()), org_.access_bytes);
  }
  std::int64_t writes(std::int64_t elements) const {
    return ceil_div(elements * input_bytes_, org_.access_bytes);
  }
  std::int64_t reads(std::int64_t elements) const {
    return ceil_div(elements * output_bytes_, org_.access_bytes);
  }

  // Cycles one channel takes for `sweeps` in order, from the first command to the last result
  // read and the last bank closed. Adds the commands to `cmd`.
  std::int64_t run(const std::vector<Sweep>& sweeps, PimCommands& cmd) const {
    const std::int64_t n = static_cast<std::int64_t>(sweeps.size());
    if (n == 0) return 0;
    const std::int64_t per_row = org_.row_bytes / org_.access_bytes, iv = mac_interval();
    const std::int64_t banks = banks_per_unit_;  // 1: ACTAB/PREA act on all banks as one
    std::vector<std::int64_t> act(banks, 0), last_mac(banks, 0), open(banks, -1);
    std::vector<std::int64_t> write_end(n, 0), mac_end(n, 0), read_end(n, 0);
    std::int64_t mac_free = 0, data_free = 0;
    auto write = [&](std::int64_t i) {
      const Sweep& s = sweeps[i];
      std::int64_t at = data_free;
      if (i >= input_sets_) at = std::max(at, mac_end[i - input_sets_]);  // its buffer set
      if (s.after >= 0) at = std::max(at, read_end[s.after] + s.delay);
      write_end[i] = data_free = at + s.writes * write_gap();
      cmd.write_input += s.writes;
    };
    auto read = [&](std::int64_t i) {
      data_free = std::max(data_free, mac_end[i]) + sweeps[i].reads * read_gap();
      read_end[i] = data_free + t_.cl;
      cmd.read_output += sweeps[i].reads;
    };
    write(0);
    for (std::int64_t i = 0; i < n; ++i) {
      const Sweep& s = sweeps[i];
      const std::int64_t rows = ceil_div(s.granules, per_row);
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t g = r + 1 < rows ? per_row : s.granules - r * per_row;
        const std::int64_t row_id = s.matrix * (1 << 20) + r;
        for (std::int64_t b = 0; b < banks; ++b) {
          if (open[b] != row_id) {
            if (open[b] >= 0) {
              const std::int64_t pre = std::max(act[b] + t_.ras, last_mac[b] + t_.rtp);
              act[b] = std::max(pre + t_.rp, act[b] + t_.rc);
              ++cmd.precharge;
            }
            open[b] = row_id;
            ++cmd.activate;
          }
          const std::int64_t first = std::max({mac_free, act[b] + t_.rcd, write_end[i]});
          last_mac[b] = first + (g - 1) * iv;
          mac_free = last_mac[b] + iv;
          cmd.mac += g;
          cmd.mac_vectors += g * s.vectors;
        }
      }
      mac_end[i] = mac_free;
      // The next sweep's input goes ahead of this one's results on the data path (it is queued
      // among these MACs), unless it is made from them.
      if (i + 1 < n && sweeps[i + 1].after == i) {
        read(i);
        write(i + 1);
      } else {
        if (i + 1 < n) write(i + 1);
        read(i);
      }
    }
    std::int64_t end = *std::max_element(read_end.begin(), read_end.end());
    for (std::int64_t b = 0; b < banks; ++b) {
      if (open[b] < 0) continue;
      end = std::max(end, std::max(act[b] + t_.ras, last_mac[b] + t_.rtp) + t_.rp);
      ++cmd.precharge;
    }
    return end;
  }

  HbmOrg org_;
  HbmTiming t_;
  std::int64_t banks_per_unit_;
  bool power_limit_;
  double budget_W_;
  std::int64_t mac_limited_ = 0;
  std::int64_t input_vectors_, input_sets_, input_bytes_, output_bytes_, softmax_per_tck_;
};

}  // namespace

SIEVESIM_REGISTER(PimRegistry, "in-dram",
                  "PIM units in the DRAM dies, timed from the all-bank command sequence",
                  [](const Params& p) { return std::make_unique<InDramPim>(p); })

}  // namespace sievesim
