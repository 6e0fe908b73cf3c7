// A roofline GPU: time = max(bytes / achievable bandwidth, flops / achievable FLOP/s) + launch.
// Grouped GEMMs follow two efficiency curves: tensor cores work on tiles of `gemm_tile_tokens`
// rows, so an expert with few tokens pays for a whole tile (Feff falls with tokens per expert);
// and a kernel reaches its achievable bandwidth only with enough bytes in flight (half of it at
// `bandwidth_half_saturation_MB`), which small decode kernels do not have.
#include <algorithm>

#include "hw/gpu/gpu_model.hpp"

namespace sievesim {
namespace {

class RooflineGpu final : public GpuModel {
 public:
  explicit RooflineGpu(const Params& p)
      : peaks_(p),
        flops_eff_(p.param<double>("flops_efficiency")
                       .above(0)
                       .max(1)
                       .desc("fraction of the math peak every kernel reaches")
                       .dflt(0.8)),
        bw_eff_(p.param<double>("bandwidth_efficiency")
                    .above(0)
                    .max(1)
                    .desc("fraction of peak HBM bandwidth every kernel reaches")
                    .dflt(0.8)),
        launch_ps_(us_to_ps(p.param<double>("launch_us")
                                .min(0)
                                .max(1e6)
                                .desc("fixed cost of every kernel, us")
                                .dflt(1.0))),
        tiles_(p),
        half_sat_bytes_(p.param<double>("bandwidth_half_saturation_MB")
                            .min(0)
                            .max(1e6)
                            .desc("MB in flight at which a grouped GEMM reaches half its "
                                  "bandwidth")
                            .dflt(0.5) *
                        1e6) {
    p.param<std::string>("description").desc("free text naming the part (not used)").dflt("");
  }

  using GpuModel::kernel_ps;
  sim_time_t kernel_ps(double flops, double bytes, DType math) const override {
    const double t_mem = bytes / (peaks_.hbm_Bps * bw_eff_);
    const double t_cmp = flops / (peak_flops(math) * flops_eff_);
    return seconds_to_ps(std::max(t_mem, t_cmp)) + launch_ps_;
  }

  std::int64_t padded_tokens(std::int32_t t) const override { return tiles_.padded(t); }

  GemmCost grouped_gemm_sums(std::int64_t experts, std::int64_t tokens, std::int64_t padded_tokens,
                             const GemmShape& g, DType act) const override {
    GemmCost c;
    if (experts <= 0) return c;
    const auto tok = static_cast<double>(tokens);
    const auto padded = static_cast<double>(padded_tokens);
    c.bytes = static_cast<double>(experts) * g.weight_bytes +
              tok * static_cast<double>(g.in_dim + g.out_dim) * dtype_bytes(act);
    c.flops = 2.0 * g.params * tok;
    const double saturation = c.bytes / (c.bytes + half_sat_bytes_);
    const double t_mem = c.bytes / (peaks_.hbm_Bps * bw_eff_ * saturation);
    const double t_cmp =
        2.0 * g.params * padded / (peak_flops(gemm_math_dtype(g.weights, act)) * flops_eff_);
    c.compute_bound = t_cmp > t_mem;
    c.time_ps = seconds_to_ps(std::max(t_mem, t_cmp)) + launch_ps_;
    return c;
  }

  double hbm_bandwidth_Bps() const override { return peaks_.hbm_Bps * bw_eff_; }
  double hbm_capacity_bytes() const override { return peaks_.hbm_capacity_bytes; }
  sim_time_t launch_ps() const override { return launch_ps_; }

 private:
  double peak_flops(DType math) const { return peaks_.flops(math); }
  GpuPeaks peaks_;
  double flops_eff_, bw_eff_;
  sim_time_t launch_ps_;
  GemmTiles tiles_;
  double half_sat_bytes_;
};

}  // namespace

SIEVESIM_REGISTER(GpuRegistry, "roofline",
                  "max(bytes / achievable HBM bandwidth, FLOPs / achievable peak) + launch",
                  [](const Params& p) { return std::make_unique<RooflineGpu>(p); })

}  // namespace sievesim
