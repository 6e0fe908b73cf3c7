#include "hw/gpu/gpu_kernel.hpp"

namespace sievesim {

const char* kernel_class_name(KernelClass c) {
  switch (c) {
    case KernelClass::kGemm:
      return "gemm";
    case KernelClass::kAttention:
      return "attention";
    case KernelClass::kElementwise:
      return "elementwise";
    case KernelClass::kReduction:
      return "reduction";
  }
  return "?";
}

DType gemm_math_dtype(DType weights, DType activations) {
  if (weights == DType::kFP8) return DType::kFP8;
  if (activations == DType::kFP32) return DType::kFP32;
  return DType::kBF16;
}

void grouped_gemm_kernels(std::int64_t experts, std::int64_t tokens, std::int64_t padded,
                          const GemmShape& g, DType act, std::vector<GpuKernel>& out) {
  if (experts <= 0) return;
  const auto n = static_cast<double>(experts);
  const auto t = static_cast<double>(tokens);
  const auto p = static_cast<double>(padded);
  const double a = dtype_bytes(act);
  const DType math = gemm_math_dtype(g.weights, act);
  auto gemm = [&](const char* name, double params, double weight_bytes, double in, double o) {
    out.push_back(GpuKernel{name, KernelClass::kGemm, 2.0 * params * t,
                            n * weight_bytes + t * (in + o) * a, math, g.weights,
                            2.0 * params * p});
  };
  if (g.intermediate <= 0) {
    gemm("grouped_gemm", g.params, g.weight_bytes, static_cast<double>(g.in_dim),
         static_cast<double>(g.out_dim));
    return;
  }
  // The weights split as the matrices do: gate+up is 2 of 3 (gated) or 1 of 2 (plain) of them,
  // biases included pro rata.
  const auto h = static_cast<double>(g.in_dim);
  const auto i = static_cast<double>(g.intermediate);
  const double up_cols = g.gated ? 2.0 * i : i;
  const double up_share = g.gated ? 2.0 / 3.0 : 0.5;
  gemm("expert_gate_up", g.params * up_share, g.weight_bytes * up_share, h, up_cols);
  // SiLU(gate) x up (or the plain activation): reads the GEMM's output, writes I per token.
  out.push_back(GpuKernel{"expert_activation", KernelClass::kElementwise, 4.0 * i * t,
                          t * (up_cols + i) * a, DType::kFP32, DType::kFP32, 0});
  gemm("expert_down", g.params * (1.0 - up_share), g.weight_bytes * (1.0 - up_share), i,
       static_cast<double>(g.out_dim));
}

}  // namespace sievesim
