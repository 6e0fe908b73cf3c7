// Sieve (arXiv 2605.11277): start with every active expert on PIM; take experts in descending
// token count and move each to the GPU while max(T_comm, T_gpu(G), T_pim(P) + T_attn_pim)
// falls; stop at the first move that does not improve. PIM costs come from the measured-cost
// table. The decision itself runs on the GPU (about 20 us per layer in the paper).
#include <algorithm>
#include <numeric>

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
    ExpertSplit s;
    s.decision_ps = decision_ps_;
    const auto n = static_cast<std::int32_t>(in.experts.size());
    std::vector<std::int32_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
      return in.experts[a].tokens > in.experts[b].tokens;
    });
    std::vector<sim_time_t> pim_cost(static_cast<std::size_t>(n));
    sim_time_t t_pim = 0;
    for (std::int32_t i = 0; i < n; ++i) {
      const auto tokens = in.experts[i].tokens;
      pim_cost[i] = table_.estimate(tokens, in.pim.roofline_expert_ps(in.shape, tokens));
      t_pim += pim_cost[i];
    }
    auto objective = [&](sim_time_t gpu_ps, sim_time_t pim_ps) {
      return std::max({in.comm_ps, gpu_ps, pim_ps + in.attention_pim_ps});
    };
    sim_time_t best = objective(0, t_pim);
    std::int32_t moved = 0;
    for (; moved < n; ++moved) {
      const std::span<const std::int32_t> g(order.data(), static_cast<std::size_t>(moved + 1));
      const sim_time_t t_pim_next = t_pim - pim_cost[order[moved]];
      const sim_time_t cand = objective(gpu_set_ps(in, g), t_pim_next);
      if (cand >= best) break;
      best = cand;
      t_pim = t_pim_next;
    }
    s.gpu.assign(order.begin(), order.begin() + moved);
    s.pim.assign(order.begin() + moved, order.end());
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
