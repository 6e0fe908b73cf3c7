#include "hw/gpu/gpu_model.hpp"

namespace sievesim {

std::unique_ptr<GpuModel> make_gpu_model(const Params& p) {
  const std::string impl = p.param<std::string>("impl").required();
  const auto* e = GpuRegistry::instance().find(impl);
  if (!e) {
    std::string known;
    for (const auto& n : GpuRegistry::instance().names()) known += " " + n;
    p.fail("impl", "unknown GPU model '" + impl + "'; known:" + known);
  }
  return e->make(p);
}

DType gemm_math_dtype(DType weights, DType activations) {
  if (weights == DType::kFP8) return DType::kFP8;
  if (activations == DType::kFP32) return DType::kFP32;
  return DType::kBF16;
}

}  // namespace sievesim
