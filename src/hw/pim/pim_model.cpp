#include "hw/pim/pim_model.hpp"
#include "config/select.hpp"

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
  return make_impl<PimRegistry>(p, "PIM model");
}

}  // namespace sievesim
