// PIMoE (DAC 2025): throttle-aware offloading and channel-level expert parallelism.
// An expert with at most `threshold_tokens` tokens runs on the PIM, the others on the GPU. On the
// PIM each expert's weights live in one group of `channels_per_expert` channels, the node's own
// experts numbered locally and dealt over the groups (local index mod groups), so a node uses
// all of its channels whichever slice of the global expert ids it holds. Groups run in parallel
// and the PIM time is the busiest group's: skew piles popular experts onto a few groups.
//
// The threshold: PIMoE publishes no number, only the principle ("throttle-aware task
// offloading": work goes where it runs faster, with the PIM's throughput limited by power
// throttling). So it is derived from our own cost models when the experiment loads: the largest
// token count t at which the node's experts, t tokens each, finish no later on the PIM (the
// preset's power-limited MAC rate, every channel group busy) than in one grouped GEMM on the GPU.
// `threshold_tokens: N` overrides it.
#include <algorithm>
#include <string>

#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

class PimoeScheduler final : public ExpertScheduler {
 public:
  explicit PimoeScheduler(const Params& p)
      : ExpertScheduler(true, false),
        group_channels_(p.param<std::int64_t>("channels_per_expert")
                            .min(1)
                            .max(4096)
                            .desc("PIM channels holding one expert's weights: the channel "
                                  "group size of channel-level expert parallelism")
                            .dflt(1)) {
    const std::string t = p.param<std::string>("threshold_tokens")
                              .range("auto, or a token count in [0, 1048576]")
                              .desc(
                                  "experts with at most this many tokens run on the PIM; auto: "
                                  "derived from the cost models (throttle-aware)")
                              .dflt("auto");
    if (t != "auto") {
      std::size_t used = 0;
      long long v = -1;
      try {
        v = std::stoll(t, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != t.size() || v < 0 || v > (1 << 20))
        p.fail("threshold_tokens",
               "expected 'auto' or a token count in [0, 1048576], got '" + t + "'");
      threshold_ = v;
      given_ = true;
    }
  }

  void setup(const SchedulerSetup& s) override {
    if (!given_) threshold_ = derive_threshold(s);
    groups_ =
        std::max<std::int64_t>(1, s.pim.channels() / std::min(group_channels_, s.pim.channels()));
  }

  std::vector<std::pair<std::string, std::string>> derived() const override {
    return {{"pimoe threshold (tokens per expert)",
             std::to_string(threshold_) + (given_ ? " (given)" : " (derived: throttle-aware)")},
            {"pimoe channel groups",
             std::to_string(groups_) + " of " + std::to_string(group_channels_) + " channel(s)"}};
  }

  bool uses_local_index() const override { return true; }

  ExpertSplit split(const SchedulerInput& in) override {
    ExpertSplit s;
    for (std::size_t i = 0; i < in.experts.size(); ++i)
      (in.experts[i].tokens <= threshold_ ? s.pim : s.gpu).push_back(static_cast<std::int32_t>(i));
    return s;
  }

  // Channel-level expert parallelism: each PIM expert on the channel group its local index
  // falls in, the groups in parallel.
  sim_time_t execute(const Execution& e, NodeDevices& devices) override {
    require_whole_experts(e, "pimoe");
    const std::int64_t ch = std::min(group_channels_, e.in.pim.channels());
    const std::int64_t groups = std::max<std::int64_t>(1, e.in.pim.channels() / ch);
    group_of_.clear();
    for (auto i : e.split.pim)
      group_of_.push_back(
          static_cast<std::int32_t>(e.in.experts[static_cast<std::size_t>(i)].local % groups));
    const sim_time_t gpu_end = run_gpu_set(e, devices);
    return std::max(gpu_end, run_pim_sequence(e, devices, *this, ch, group_of_));
  }

 private:
  // PIM time of `n` experts with t tokens each, dealt over the channel groups, minus their time
  // in one grouped GEMM: rises with t (t GEMV passes against weights streamed once).
  sim_time_t pim_minus_gpu(const SchedulerSetup& s, std::int32_t t) const {
    const std::int64_t ch = std::min(group_channels_, s.pim.channels());
    const std::int64_t groups = std::max<std::int64_t>(1, s.pim.channels() / ch);
    const std::int64_t n = std::max<std::int64_t>(1, s.local_experts);
    const sim_time_t pim = ((n + groups - 1) / groups) * s.pim.expert_ps(s.model.expert, t, ch);
    const std::vector<std::int32_t> tokens(static_cast<std::size_t>(n), t);
    const sim_time_t gpu = s.gpu.grouped_gemm_ps(tokens, s.model.expert, s.model.activation_dtype);
    return pim - gpu;
  }

  std::int64_t derive_threshold(const SchedulerSetup& s) const {
    if (pim_minus_gpu(s, 1) > 0) return 0;
    // Doubling, then bisection for the last count at which the PIM is no slower.
    std::int32_t lo = 1, hi = 2;
    while (hi < (1 << 16) && pim_minus_gpu(s, hi) <= 0) lo = hi, hi *= 2;
    if (hi >= (1 << 16)) return lo;
    while (hi - lo > 1) {
      const std::int32_t mid = lo + (hi - lo) / 2;
      (pim_minus_gpu(s, mid) <= 0 ? lo : hi) = mid;
    }
    return lo;
  }

  std::int64_t group_channels_;
  std::vector<std::int32_t> group_of_;  // execute()'s scratch: the channel group of each pim[k]
  std::int64_t threshold_ = 0;
  std::int64_t groups_ = 1;
  bool given_ = false;
};

}  // namespace

SIEVESIM_REGISTER(SchedulerRegistry, "pimoe",
                  "throttle-aware token threshold (derived from the cost models), experts on "
                  "channel groups by local index",
                  [](const Params& p) { return std::make_unique<PimoeScheduler>(p); })

}  // namespace sievesim
