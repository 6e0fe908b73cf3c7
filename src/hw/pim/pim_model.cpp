#include "hw/pim/pim_model.hpp"

namespace sievesim {

sim_time_t PimModel::expert_ps(const ExpertShape& e, std::int32_t tokens) const {
  sim_time_t t = 0;
  for (const auto& m : e.matrices()) t += gemv_ps(m.rows, m.cols, tokens, e.weight_dtype);
  return t;
}

sim_time_t PimModel::roofline_expert_ps(const ExpertShape& e, std::int32_t tokens) const {
  sim_time_t t = 0;
  for (const auto& m : e.matrices()) t += roofline_gemv_ps(m.rows, m.cols, tokens, e.weight_dtype);
  return t;
}

std::unique_ptr<PimModel> make_pim_model(const Params& p) {
  const std::string impl = p.param<std::string>("impl").required();
  const auto* e = PimRegistry::instance().find(impl);
  if (!e) {
    std::string known;
    for (const auto& n : PimRegistry::instance().names()) known += " " + n;
    p.fail("impl", "unknown PIM model '" + impl + "'; known:" + known);
  }
  return e->make(p);
}

}  // namespace sievesim
