// NoExp: attention on the PIM, every expert on the GPU (the PIM accelerates attention only).
#include <numeric>

#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

class NoExpScheduler final : public ExpertScheduler {
 public:
  explicit NoExpScheduler(const Params&) : ExpertScheduler(true, false) {}
  ExpertSplit split(const SchedulerInput& in) override {
    ExpertSplit s;
    s.gpu.resize(in.experts.size());
    std::iota(s.gpu.begin(), s.gpu.end(), 0);
    return s;
  }
};

}  // namespace

SIEVESIM_REGISTER(SchedulerRegistry, "noexp", "attention on the PIM, all experts on the GPU",
                  [](const Params& p) { return std::make_unique<NoExpScheduler>(p); })

}  // namespace sievesim
