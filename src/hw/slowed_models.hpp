#pragma once
// A straggler's devices: the node's GPU or PIM doing the same work as its preset, `factor` times
// slower (thermal or power throttling, a degraded part; fleets see both). Every time the inner
// model gives is multiplied by the factor, which the engine may change every iteration (a
// slowdown drawn per iteration); peak rates are divided by it, so a scheduler told the node's
// speed plans with the slower roofline as well. PIM refresh stays at its fixed times: the DRAM
// refreshes on its own clock however slowly the PIM logic runs.
#include "hw/gpu/gpu_model.hpp"
#include "hw/pim/pim_model.hpp"

#include <memory>

namespace sievesim {

// `t` times `factor`, rounded to the picosecond (exactly `t` at factor 1).
sim_time_t slowed_ps(sim_time_t t, double factor);

class SlowedGpuModel final : public GpuModel {
 public:
  // The same energy prices as the inner model: the same work costs the same joules, and the
  // longer time shows as static energy.
  explicit SlowedGpuModel(const GpuModel& inner) : inner_(inner) {
    set_energy(
        std::shared_ptr<const GpuEnergy>(std::shared_ptr<const GpuEnergy>(), &inner.energy()));
  }
  void set_factor(double f) { factor_ = f; }
  double factor() const { return factor_; }

  sim_time_t kernel_ps(double flops, double bytes, DType math) const override {
    return slowed_ps(inner_.kernel_ps(flops, bytes, math), factor_);
  }
  sim_time_t kernel_ps(const GpuKernel& k) const override {
    return slowed_ps(inner_.kernel_ps(k), factor_);
  }
  GemmCost grouped_gemm_sums(std::int64_t experts, std::int64_t tokens, std::int64_t padded_tokens,
                             const GemmShape& g, DType act) const override {
    GemmCost c = inner_.grouped_gemm_sums(experts, tokens, padded_tokens, g, act);
    c.time_ps = slowed_ps(c.time_ps, factor_);
    return c;
  }
  std::int64_t padded_tokens(std::int32_t tokens) const override {
    return inner_.padded_tokens(tokens);
  }
  double hbm_bandwidth_Bps() const override { return inner_.hbm_bandwidth_Bps() / factor_; }
  double hbm_capacity_bytes() const override { return inner_.hbm_capacity_bytes(); }
  sim_time_t launch_ps() const override { return slowed_ps(inner_.launch_ps(), factor_); }

 private:
  const GpuModel& inner_;
  double factor_ = 1.0;
};

class SlowedPimModel final : public PimModel {
 public:
  explicit SlowedPimModel(const PimModel& inner);
  void set_factor(double f) { factor_ = f; }
  double factor() const { return factor_; }

  std::int64_t channels() const override { return inner_.channels(); }
  double peak_bandwidth_Bps() const override { return inner_.peak_bandwidth_Bps() / factor_; }
  double peak_flops() const override { return inner_.peak_flops() / factor_; }
  std::string describe() const override { return inner_.describe() + " (slowed)"; }
  double capacity_bytes() const override { return inner_.capacity_bytes(); }
  PimCommandShape command_shape() const override { return inner_.command_shape(); }

 protected:
  PimCost gemv_work(std::int64_t rows, std::int64_t cols, std::int32_t tokens, DType weights,
                    std::int64_t channels) const override;
  PimCost attention_work(const AttentionHead& h, std::int64_t count) const override;
  sim_time_t merge_ps(const AttentionHead& h, std::int64_t parts) const override;

 private:
  PimCost slowed(PimCost c) const;
  const PimModel& inner_;
  double factor_ = 1.0;
};

}  // namespace sievesim
