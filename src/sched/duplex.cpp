// Duplex (MICRO 2024) expert co-processing: experts sorted by tokens; the most popular move to
// the GPU while max(T_gpu, T_pim) falls, both from roofline estimates. No communication or
// attention term, no overlap: what the published system weighs, and nothing more.
#include <algorithm>

#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

class DuplexScheduler final : public ExpertScheduler {
 public:
  explicit DuplexScheduler(const Params& p)
      : ExpertScheduler(true, false),
        decision_ps_(us_to_ps(p.param<double>("decision_us")
                                  .min(0)
                                  .max(1e6)
                                  .desc("GPU time of one decision, us (Duplex reports none)")
                                  .dflt(0.0))) {}

  ExpertSplit split(const SchedulerInput& in) override {
    std::vector<sim_time_t> pim_cost(in.experts.size());
    for (std::size_t i = 0; i < in.experts.size(); ++i)
      pim_cost[i] = in.pim.roofline_expert_ps(in.shape, in.experts[i].tokens);
    ExpertSplit s = popular_to_gpu(in, pim_cost, [](sim_time_t gpu_ps, sim_time_t pim_ps) {
      return std::max(gpu_ps, pim_ps);
    });
    s.decision_ps = decision_ps_;
    return s;
  }

 private:
  sim_time_t decision_ps_;
};

}  // namespace

SIEVESIM_REGISTER(SchedulerRegistry, "duplex",
                  "popularity greedy minimising max(GPU, PIM) on roofline costs, no overlap",
                  [](const Params& p) { return std::make_unique<DuplexScheduler>(p); })

}  // namespace sievesim
