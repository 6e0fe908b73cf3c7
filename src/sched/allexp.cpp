// AllExp: attention and every expert on the PIM (everything memory-bound goes to PIM).
#include <numeric>

#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

class AllExpScheduler final : public ExpertScheduler {
 public:
  explicit AllExpScheduler(const Params&) : ExpertScheduler(true, false) {}
  ExpertSplit split(const SchedulerInput& in) override {
    ExpertSplit s;
    s.pim.resize(in.experts.size());
    std::iota(s.pim.begin(), s.pim.end(), 0);
    return s;
  }
};

}  // namespace

SIEVESIM_REGISTER(SchedulerRegistry, "allexp", "attention and all experts on the PIM",
                  [](const Params& p) { return std::make_unique<AllExpScheduler>(p); })

}  // namespace sievesim
