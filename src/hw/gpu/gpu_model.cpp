#include "hw/gpu/gpu_model.hpp"
#include "config/select.hpp"

namespace sievesim {

std::unique_ptr<GpuModel> make_gpu_model(const Params& p) {
  return make_impl<GpuRegistry>(p, "GPU model");
}

DType gemm_math_dtype(DType weights, DType activations) {
  if (weights == DType::kFP8) return DType::kFP8;
  if (activations == DType::kFP32) return DType::kFP32;
  return DType::kBF16;
}

}  // namespace sievesim
