// PIMoE (DAC 2025): a static token threshold per expert, and channel-level expert parallelism.
// An expert with at most `threshold_tokens` tokens runs on the PIM, the others on the GPU. On the
// PIM each expert's weights live in one channel group (expert e in group e mod groups), so its
// GEMVs use only that group's channels; groups run in parallel and the PIM time is the busiest
// group's: skew piles popular-but-small experts onto a few groups and serializes them there.
#include <algorithm>

#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

class PimoeScheduler final : public ExpertScheduler {
 public:
  explicit PimoeScheduler(const Params& p)
      : ExpertScheduler(true, false),
        threshold_(p.param<std::int64_t>("threshold_tokens").min(0).max(1 << 20).dflt(4)),
        group_channels_(p.param<std::int64_t>("channels_per_expert").min(1).max(4096).dflt(1)) {}

  ExpertSplit split(const SchedulerInput& in) override {
    ExpertSplit s;
    s.group_channels = std::min(group_channels_, in.pim.channels());
    const std::int64_t groups = std::max<std::int64_t>(1, in.pim.channels() / s.group_channels);
    for (std::size_t i = 0; i < in.experts.size(); ++i) {
      const auto idx = static_cast<std::int32_t>(i);
      if (in.experts[i].tokens <= threshold_) {
        s.pim.push_back(idx);
        s.pim_group.push_back(static_cast<std::int32_t>(in.experts[i].expert % groups));
      } else {
        s.gpu.push_back(idx);
      }
    }
    return s;
  }

 private:
  std::int64_t threshold_, group_channels_;
};

}  // namespace

SIEVESIM_REGISTER(SchedulerRegistry, "pimoe",
                  "experts with <= threshold_tokens on the PIM, each in one channel group",
                  [](const Params& p) { return std::make_unique<PimoeScheduler>(p); })

}  // namespace sievesim
