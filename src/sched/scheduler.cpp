#include "sched/scheduler.hpp"

namespace sievesim {

ExpertScheduler::ExpertScheduler(const Params& p, bool attention_on_pim_default,
                                 bool overlap_default) {
  const std::string where = p.param<std::string>("attention")
                                .one_of({"default", "gpu", "pim"})
                                .dflt("default");
  attention_on_pim_ = where == "default" ? attention_on_pim_default : where == "pim";
  overlap_ = p.param<bool>("overlap").dflt(overlap_default);
}

std::unique_ptr<ExpertScheduler> make_scheduler(const Params& p) {
  const std::string name = p.param<std::string>("name").dflt("sieve");
  const auto* e = SchedulerRegistry::instance().find(name);
  if (!e) {
    std::string known;
    for (const auto& n : SchedulerRegistry::instance().names()) known += " " + n;
    p.fail("name", "unknown scheduler '" + name + "'; known:" + known);
  }
  return e->make(p);
}

sim_time_t gpu_set_ps(const SchedulerInput& in, std::span<const std::int32_t> idx) {
  std::vector<std::int32_t> tokens;
  tokens.reserve(idx.size());
  for (auto i : idx) tokens.push_back(in.experts[static_cast<std::size_t>(i)].tokens);
  return in.gpu.grouped_gemm_ps(tokens, in.shape, in.activation_dtype);
}

}  // namespace sievesim
