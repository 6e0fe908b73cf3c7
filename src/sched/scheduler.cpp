#include "sched/scheduler.hpp"

#include "config/select.hpp"

namespace sievesim {

std::unique_ptr<ExpertScheduler> make_scheduler(const Params& p) {
  auto s = make_selected<SchedulerRegistry>(p, "name", "sieve", "scheduler");
  const std::string where =
      p.param<std::string>("attention").one_of({"default", "gpu", "pim"}).dflt("default");
  if (where != "default") s->set_attention_on_pim(where == "pim");
  const std::string overlap = p.param<std::string>("overlap")
                                  .one_of({"default", "on", "off", "true", "false"})
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

}  // namespace sievesim
