// A GPU as the kernels a serving engine launches (DESIGN §5). Every kernel costs
//
//   max(bytes / (HBM bandwidth x eff_bw(class) x saturation), FLOPs / (peak(math) x eff(class)))
//     + fixed cost (CUDA graph replay or eager launch)
//
// where saturation = bytes / (bytes + half_saturation): a kernel reaches its class's bandwidth
// only with enough bytes in flight. Written as (bytes + half) / (BW x eff), the half-saturation
// is a per-kernel memory latency of half / (BW x eff): GEMM pipelines (TMA prologue, tile loop,
// epilogue) pay much more of it than a streaming elementwise kernel, hence one per class group.
// The presets cite where each efficiency comes from.
#include <algorithm>

#include "hw/gpu/gpu_model.hpp"

namespace sievesim {
namespace {

class KernelGpu final : public GpuModel {
 public:
  explicit KernelGpu(const Params& p)
      : peaks_(p),
        tiles_(p),
        gemm_bw_eff_(eff(p, "gemm_bandwidth_efficiency",
                         "fraction of peak HBM bandwidth a saturated GEMM reaches (BF16/FP8 "
                         "weights)")),
        gemm_4bit_bw_eff_(eff(p, "gemm_4bit_bandwidth_efficiency",
                              "fraction of peak HBM bandwidth a saturated GEMM on 4-bit weights "
                              "reaches (dequantizing kernels)")),
        gemm_bf16_eff_(eff(p, "gemm_bf16_flops_efficiency",
                           "fraction of the BF16 peak a GEMM on BF16/FP16 weights reaches")),
        gemm_fp8_eff_(eff(p, "gemm_fp8_flops_efficiency",
                          "fraction of the FP8 peak a GEMM on FP8 weights reaches")),
        gemm_4bit_eff_(eff(p, "gemm_4bit_flops_efficiency",
                           "fraction of the BF16 peak a GEMM on 4-bit weights reaches (BF16 "
                           "math after dequantization)")),
        attn_bw_eff_(eff(p, "attention_bandwidth_efficiency",
                         "fraction of peak HBM bandwidth an attention kernel reaches")),
        attn_eff_(eff(p, "attention_flops_efficiency",
                      "fraction of the math peak an attention kernel reaches")),
        elementwise_bw_eff_(eff(p, "elementwise_bandwidth_efficiency",
                                "fraction of peak HBM bandwidth an elementwise kernel (norm, "
                                "rotary, residual, copy) reaches; also the GPU's achievable "
                                "bandwidth")),
        reduction_bw_eff_(eff(p, "reduction_bandwidth_efficiency",
                              "fraction of peak HBM bandwidth a reduction kernel (top-k, "
                              "sampling) reaches")),
        vector_eff_(eff(p, "vector_flops_efficiency",
                        "fraction of the FP32 peak elementwise and reduction kernels reach")),
        gemm_half_bytes_(p.param<double>("gemm_half_saturation_MB")
                             .min(0)
                             .max(1e6)
                             .desc("MB in flight at which a GEMM reaches half its bandwidth: "
                                   "its pipeline latency as bytes")
                             .required() *
                         1e6),
        half_bytes_(p.param<double>("half_saturation_MB")
                        .min(0)
                        .max(1e6)
                        .desc("MB in flight at which a non-GEMM kernel reaches half its "
                              "bandwidth: its memory latency as bytes")
                        .required() *
                    1e6) {
    p.param<std::string>("description").desc("free text naming the part (not used)").dflt("");
    const bool graphs = p.param<bool>("cuda_graphs")
                            .desc(
                                "kernels replayed from a CUDA graph (fixed_graph_us each) "
                                "rather than launched eagerly (fixed_eager_us)")
                            .dflt(true);
    const double graph_us = p.param<double>("fixed_graph_us")
                                .min(0)
                                .max(1e6)
                                .desc("fixed cost of a kernel inside a CUDA graph, us")
                                .required();
    const double eager_us = p.param<double>("fixed_eager_us")
                                .min(0)
                                .max(1e6)
                                .desc("fixed cost of a kernel launched eagerly, us")
                                .required();
    fixed_ps_ = us_to_ps(graphs ? graph_us : eager_us);
  }

  using GpuModel::kernel_ps;
  // A kernel known only by its work: a BF16-class GEMM (what the roofline assumed).
  sim_time_t kernel_ps(double flops, double bytes, DType math) const override {
    return kernel_ps(GpuKernel{"kernel", KernelClass::kGemm, flops, bytes, math, math, 0});
  }
  sim_time_t kernel_ps(const GpuKernel& k) const override {
    bool compute_bound = false;
    return time_ps(k, compute_bound);
  }

  std::int64_t padded_tokens(std::int32_t t) const override { return tiles_.padded(t); }

  GemmCost grouped_gemm_sums(std::int64_t experts, std::int64_t tokens, std::int64_t padded_tokens,
                             const GemmShape& g, DType act) const override {
    GemmCost c;
    if (experts <= 0) return c;
    // Few kernels per call; a small fixed buffer keeps the scheduler's search allocation-free.
    thread_local std::vector<GpuKernel> ks;
    ks.clear();
    grouped_gemm_kernels(experts, tokens, padded_tokens, g, act, ks);
    for (const auto& k : ks) {
      bool cb = false;
      c.time_ps += time_ps(k, cb);
      c.bytes += k.bytes;
      if (k.cls == KernelClass::kGemm) {
        c.flops += k.flops;
        c.compute_bound = c.compute_bound || cb;
      }
    }
    return c;
  }

  double hbm_bandwidth_Bps() const override { return peaks_.hbm_Bps * elementwise_bw_eff_; }
  double hbm_capacity_bytes() const override { return peaks_.hbm_capacity_bytes; }
  sim_time_t launch_ps() const override { return fixed_ps_; }

 private:
  static double eff(const Params& p, const char* key, const char* desc) {
    return p.param<double>(key).above(0).max(1).desc(desc).required();
  }

  sim_time_t time_ps(const GpuKernel& k, bool& compute_bound) const {
    double bw_eff = elementwise_bw_eff_, f_eff = vector_eff_, half = half_bytes_;
    double peak = peaks_.fp32_flops;
    switch (k.cls) {
      case KernelClass::kGemm: {
        const bool four_bit = k.weights == DType::kMXFP4;
        bw_eff = four_bit ? gemm_4bit_bw_eff_ : gemm_bw_eff_;
        f_eff = four_bit                   ? gemm_4bit_eff_
                : k.weights == DType::kFP8 ? gemm_fp8_eff_
                                           : gemm_bf16_eff_;
        peak = peak_flops(k.math);
        half = gemm_half_bytes_;
        break;
      }
      case KernelClass::kAttention:
        bw_eff = attn_bw_eff_;
        f_eff = attn_eff_;
        peak = peak_flops(k.math);
        break;
      case KernelClass::kReduction:
        bw_eff = reduction_bw_eff_;
        break;
      case KernelClass::kElementwise:
        break;
    }
    const double t_mem = k.bytes > 0 ? (k.bytes + half) / (peaks_.hbm_Bps * bw_eff) : 0.0;
    const double t_cmp = k.issued_flops() / (peak * f_eff);
    compute_bound = t_cmp > t_mem;
    return seconds_to_ps(std::max(t_mem, t_cmp)) + fixed_ps_;
  }

  double peak_flops(DType math) const { return peaks_.flops(math); }

  GpuPeaks peaks_;
  GemmTiles tiles_;
  double gemm_bw_eff_, gemm_4bit_bw_eff_, gemm_bf16_eff_, gemm_fp8_eff_, gemm_4bit_eff_;
  double attn_bw_eff_, attn_eff_, elementwise_bw_eff_, reduction_bw_eff_, vector_eff_;
  double gemm_half_bytes_, half_bytes_;
  sim_time_t fixed_ps_ = 0;
};

}  // namespace

SIEVESIM_REGISTER(GpuRegistry, "kernels",
                  "per-kernel max(bytes / class bandwidth, FLOPs / class peak) + fixed cost "
                  "(CUDA graph or eager)",
                  [](const Params& p) { return std::make_unique<KernelGpu>(p); })

}  // namespace sievesim
