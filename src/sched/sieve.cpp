// Sieve (arXiv 2605.11277): start with every active expert on PIM; take experts in descending
// token count and move each to the GPU while max(T_comm, T_gpu(G), T_pim(P) + T_attn_pim)
// falls; stop at the first move that does not improve. PIM costs come from the measured-cost
// table. The decision itself runs on the GPU (about 20 us per layer in the paper).
#include <algorithm>

#include "sched/pim_cost_table.hpp"
#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

class SieveScheduler final : public ExpertScheduler {
 public:
  explicit SieveScheduler(const Params& p)
      : ExpertScheduler(true, true),
        decision_ps_(us_to_ps(p.param<double>("decision_us").min(0).max(1e6).dflt(20.0))),
        table_(p.param<double>("ema_alpha").above(0).max(1).dflt(0.25)) {}

  ExpertSplit split(const SchedulerInput& in) override {
    std::vector<sim_time_t> pim_cost(in.experts.size());
    for (std::size_t i = 0; i < in.experts.size(); ++i) {
      const auto tokens = in.experts[i].tokens;
      pim_cost[i] = table_.estimate(tokens, in.pim.roofline_expert_ps(in.shape, tokens));
    }
    ExpertSplit s = popular_to_gpu(in, pim_cost, [&](sim_time_t gpu_ps, sim_time_t pim_ps) {
      return std::max({in.comm_ps, gpu_ps, pim_ps + in.attention_pim_ps});
    });
    s.decision_ps = decision_ps_;
    // The greedy only ever moves the hottest remaining expert to the GPU, so the coldest are the
    // surest to stay on the PIM: run them first, starting while the GPU still decides where the
    // boundary falls (the decision needs the counts; the cold end of the queue does not need the
    // decision).
    std::reverse(s.pim.begin(), s.pim.end());
    s.pim_before_decision = true;
    return s;
  }

  void observe_pim(std::int32_t tokens, sim_time_t measured_ps) override {
    table_.observe(tokens, measured_ps);
  }

 private:
  sim_time_t decision_ps_;
  PimCostTable table_;
};

}  // namespace

SIEVESIM_REGISTER(SchedulerRegistry, "sieve",
                  "greedy GPU/PIM split minimising max(comm, GPU, PIM + attention), EMA PIM table",
                  [](const Params& p) { return std::make_unique<SieveScheduler>(p); })

}  // namespace sievesim
