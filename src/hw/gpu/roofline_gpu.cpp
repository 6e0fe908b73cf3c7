// A roofline GPU: time = max(bytes / achievable bandwidth, flops / achievable FLOP/s) + launch.
#include <algorithm>

#include "hw/gpu/gpu_model.hpp"

namespace sievesim {
namespace {

class RooflineGpu final : public GpuModel {
 public:
  explicit RooflineGpu(const Params& p)
      : peak_bf16_flops_(p.param<double>("peak_bf16_tflops").min(1e-6).max(1e6).required() * 1e12),
        peak_fp8_flops_(p.param<double>("peak_fp8_tflops").min(1e-6).max(1e6).required() * 1e12),
        peak_fp32_flops_(p.param<double>("peak_fp32_tflops").min(1e-6).max(1e6).required() * 1e12),
        hbm_bw_Bps_(p.param<double>("hbm_bandwidth_GBps").min(1e-3).max(1e6).required() * 1e9),
        hbm_capacity_bytes_(p.param<double>("hbm_capacity_GB").above(0).required() * 1e9),
        flops_eff_(p.param<double>("flops_efficiency").above(0).max(1).dflt(0.8)),
        bw_eff_(p.param<double>("bandwidth_efficiency").above(0).max(1).dflt(0.8)),
        launch_ps_(us_to_ps(p.param<double>("launch_us").min(0).max(1e6).dflt(1.0))) {
    p.param<std::string>("description").dflt("");
  }

  sim_time_t kernel_ps(double flops, double bytes, DType math) const override {
    const double t_mem = bytes / (hbm_bw_Bps_ * bw_eff_);
    const double t_cmp = flops / (peak_flops(math) * flops_eff_);
    return seconds_to_ps(std::max(t_mem, t_cmp)) + launch_ps_;
  }

  sim_time_t grouped_gemm_ps(std::span<const std::int32_t> tokens, const ExpertShape& e,
                             DType act) const override {
    if (tokens.empty()) return 0;
    double tok = 0;
    for (auto t : tokens) tok += t;
    const double act_bytes = dtype_bytes(act);
    const double bytes = static_cast<double>(tokens.size()) * e.weight_bytes() +
                         tok * static_cast<double>(e.hidden) * act_bytes * 2.0;
    const double flops = 2.0 * static_cast<double>(e.params()) * tok;
    return kernel_ps(flops, bytes, gemm_math_dtype(e.weight_dtype, act));
  }

  double hbm_bandwidth_Bps() const override { return hbm_bw_Bps_ * bw_eff_; }
  double hbm_capacity_bytes() const override { return hbm_capacity_bytes_; }
  sim_time_t launch_ps() const override { return launch_ps_; }

 private:
  double peak_flops(DType math) const {
    switch (math) {
      case DType::kFP8:
        return peak_fp8_flops_;
      case DType::kFP32:
        return peak_fp32_flops_;
      default:
        return peak_bf16_flops_;
    }
  }
  double peak_bf16_flops_, peak_fp8_flops_, peak_fp32_flops_;
  double hbm_bw_Bps_, hbm_capacity_bytes_;
  double flops_eff_, bw_eff_;
  sim_time_t launch_ps_;
};

}  // namespace

SIEVESIM_REGISTER(GpuRegistry, "roofline",
                  "max(bytes / achievable HBM bandwidth, FLOPs / achievable peak) + launch",
                  [](const Params& p) { return std::make_unique<RooflineGpu>(p); })

}  // namespace sievesim
