#include "sched/scheduler.hpp"

#include <algorithm>
#include <numeric>

#include "base/select.hpp"

namespace sievesim {

std::unique_ptr<ExpertScheduler> make_scheduler(const Params& p) {
  auto s = make_selected<SchedulerRegistry>(p, "name", "sieve", "scheduler");
  const std::string where =
      p.param<std::string>("attention")
          .one_of({"default", "gpu", "pim"})
          .desc(
              "where decode attention runs; default: where the scheduler's published system "
              "runs it")
          .dflt("default");
  if (where != "default") s->set_attention_on_pim(where == "pim");
  const std::string overlap = p.param<std::string>("overlap")
                                  .one_of({"default", "on", "off", "true", "false"})
                                  .desc(
                                      "whether GPU, PIM and communication overlap within a "
                                      "layer; default: as the scheduler's published system")
                                  .dflt("default");
  if (overlap != "default") s->set_overlap(overlap == "on" || overlap == "true");
  return s;
}

sim_time_t gpu_set_ps(const SchedulerInput& in, std::span<const std::int32_t> idx) {
  std::vector<std::int32_t> tokens;
  tokens.reserve(idx.size());
  for (auto i : idx) tokens.push_back(in.experts[static_cast<std::size_t>(i)].tokens);
  return in.gpu.grouped_gemm_ps(tokens, in.shape, in.activation_dtype);
}

ExpertSplit popular_to_gpu(const SchedulerInput& in, std::span<const sim_time_t> pim_cost,
                           const std::function<sim_time_t(sim_time_t, sim_time_t)>& objective,
                           std::span<const std::int64_t> move_cost) {
  const auto n = static_cast<std::int32_t>(in.experts.size());
  std::vector<std::int32_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  // Ties keep ascending expert id, so the decision never depends on arrival order.
  std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
    return in.experts[a].tokens > in.experts[b].tokens;
  });
  sim_time_t t_pim = 0;
  for (auto c : pim_cost) t_pim += c;
  sim_time_t best = objective(0, t_pim);
  std::int64_t moved_cost = 0;
  std::int32_t moved = 0;
  for (; moved < n; ++moved) {
    const std::span<const std::int32_t> g(order.data(), static_cast<std::size_t>(moved + 1));
    const auto i = static_cast<std::size_t>(order[moved]);
    const sim_time_t t_pim_next = t_pim - pim_cost[i];
    const std::int64_t cost_next = moved_cost + (move_cost.empty() ? 0 : move_cost[i]);
    const sim_time_t cand = objective(gpu_set_ps(in, g), t_pim_next) + cost_next;
    if (cand >= best) break;
    best = cand;
    t_pim = t_pim_next;
    moved_cost = cost_next;
  }
  ExpertSplit s;
  s.gpu.assign(order.begin(), order.begin() + moved);
  s.pim.assign(order.begin() + moved, order.end());
  return s;
}

}  // namespace sievesim
