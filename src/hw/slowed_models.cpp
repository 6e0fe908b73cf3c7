#include "hw/slowed_models.hpp"

#include <cmath>

namespace sievesim {

sim_time_t slowed_ps(sim_time_t t, double factor) {
  if (factor == 1.0) return t;
  return static_cast<sim_time_t>(std::llround(static_cast<double>(t) * factor));
}

SlowedPimModel::SlowedPimModel(const PimModel& inner) : inner_(inner) {
  set_refresh(inner.refi_ps_, inner.rfc_ps_);
  set_contention(inner.contention());
  // Non-owning: the inner model outlives its slowed copy (both belong to the run's system).
  set_energy(std::shared_ptr<const PimEnergy>(std::shared_ptr<const PimEnergy>(), &inner.energy()));
}

PimCost SlowedPimModel::slowed(PimCost c) const {
  // Before refresh: finish() places the refreshes the slower work meets.
  c.busy_ps = slowed_ps(c.busy_ps, factor_);
  c.time_ps = c.busy_ps;
  c.refresh_ps = 0;
  return c;
}

PimCost SlowedPimModel::gemv_work(std::int64_t rows, std::int64_t cols, std::int32_t tokens,
                                  DType weights, std::int64_t channels) const {
  return slowed(inner_.gemv_work(rows, cols, tokens, weights, channels));
}

PimCost SlowedPimModel::attention_work(const AttentionHead& h, std::int64_t count) const {
  return slowed(inner_.attention_work(h, count));
}

sim_time_t SlowedPimModel::merge_ps(const AttentionHead& h, std::int64_t parts) const {
  return slowed_ps(inner_.merge_ps(h, parts), factor_);
}

}  // namespace sievesim
