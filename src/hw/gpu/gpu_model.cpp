#include "hw/gpu/gpu_model.hpp"

#include <vector>

#include "base/select.hpp"

namespace sievesim {

std::unique_ptr<GpuModel> make_gpu_model(const Params& p) {
  auto m = make_impl<GpuRegistry>(p, "GPU model");
  m->set_energy(std::make_shared<const GpuEnergy>(p.child("energy"), GpuPeaks(p)));
  return m;
}

EnergyUse GpuModel::grouped_gemm_energy(std::span<const std::int32_t> tokens, const GemmShape& g,
                                        DType act) const {
  EnergyUse e;
  if (tokens.empty()) return e;
  std::int64_t sum = 0, padded = 0;
  for (auto t : tokens) sum += t, padded += padded_tokens(t);
  std::vector<GpuKernel> kernels;
  grouped_gemm_kernels(static_cast<std::int64_t>(tokens.size()), sum, padded, g, act, kernels);
  for (const auto& k : kernels) e += kernel_energy(k);
  return e;
}

GemmTiles::GemmTiles(const Params& p)
    : tile_tokens(p.param<std::int64_t>("gemm_tile_tokens")
                      .min(1)
                      .max(4096)
                      .desc("tokens per GEMM tile: each expert's tokens are padded up to a "
                            "multiple of it")
                      .dflt(64)) {}

GpuPeaks::GpuPeaks(const Params& p)
    : bf16_flops(p.param<double>("peak_bf16_tflops")
                     .min(1e-6)
                     .max(1e6)
                     .desc("dense BF16 tensor-core peak, TFLOP/s (datasheet); FP16 and dequantized "
                           "4-bit math run at it too")
                     .required() *
                 1e12),
      fp8_flops(p.param<double>("peak_fp8_tflops")
                    .min(1e-6)
                    .max(1e6)
                    .desc("dense FP8 tensor-core peak, TFLOP/s (datasheet)")
                    .required() *
                1e12),
      fp32_flops(p.param<double>("peak_fp32_tflops")
                     .min(1e-6)
                     .max(1e6)
                     .desc("FP32 peak without tensor cores, TFLOP/s (datasheet): the math of "
                           "elementwise and reduction kernels")
                     .required() *
                 1e12),
      hbm_Bps(p.param<double>("hbm_bandwidth_GBps")
                  .min(1e-3)
                  .max(1e6)
                  .desc("peak HBM bandwidth, GB/s (datasheet); kernels reach a fraction of it")
                  .required() *
              1e9),
      hbm_capacity_bytes(p.param<double>("hbm_capacity_GB")
                             .above(0)
                             .desc("HBM capacity, GB (datasheet); a node holds the smaller of "
                                   "this and its PIM stacks' capacity")
                             .required() *
                         1e9) {}

double GpuPeaks::flops(DType math) const {
  switch (math) {
    case DType::kFP8:
      return fp8_flops;
    case DType::kFP32:
      return fp32_flops;
    default:
      return bf16_flops;
  }
}

}  // namespace sievesim
