// No PIM at all: attention and every expert on the GPU.
#include <numeric>

#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

class GpuOnlyScheduler final : public ExpertScheduler {
 public:
  explicit GpuOnlyScheduler(const Params&) : ExpertScheduler(false, false) {}
  ExpertSplit split(const SchedulerInput& in) override {
    ExpertSplit s;
    s.gpu.resize(in.experts.size());
    std::iota(s.gpu.begin(), s.gpu.end(), 0);
    return s;
  }
};

}  // namespace

SIEVESIM_REGISTER(SchedulerRegistry, "gpu-only", "attention and all experts on the GPU",
                  [](const Params& p) { return std::make_unique<GpuOnlyScheduler>(p); })

}  // namespace sievesim
