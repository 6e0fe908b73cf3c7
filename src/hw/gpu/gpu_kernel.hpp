#pragma once
// One GPU kernel as a serving engine launches it: what it reads and writes in HBM, what it
// computes, and the class of kernel that says how close to the hardware's peaks it gets.
#include <cstdint>
#include <vector>

#include "model/model.hpp"

namespace sievesim {

enum class KernelClass {
  kGemm,         // dense or grouped GEMM on tensor cores (efficiency per weight dtype)
  kAttention,    // decode / prefill attention over the KV cache
  kElementwise,  // norms, rotary, residual adds, activation, cache writes, permutes
  kReduction,    // router top-k / softmax, sampling over the vocabulary
};
const char* kernel_class_name(KernelClass c);

struct GpuKernel {
  const char* name = "";  // a string literal: kernels are built per layer per node
  KernelClass cls = KernelClass::kElementwise;
  double flops = 0;  // useful FLOPs
  double bytes = 0;  // HBM bytes read and written
  DType math = DType::kBF16;
  DType weights = DType::kBF16;  // GEMMs: the weight dtype picks the efficiency
  // FLOPs the tensor cores execute, tokens rounded up to the kernel's tile (0: `flops`).
  double tile_flops = 0;
  double issued_flops() const { return tile_flops > 0 ? tile_flops : flops; }
};

// The weights one expert of a grouped GEMM multiplies its tokens with. An FFN shape
// (intermediate > 0) runs as three kernels: the gate+up GEMM, the activation, the down GEMM.
struct GemmShape {
  double params = 0;                     // weights (and biases) per expert
  double weight_bytes = 0;               // their bytes in HBM
  std::int64_t in_dim = 0, out_dim = 0;  // activation elements read and written per token
  DType weights = DType::kBF16;
  std::int64_t intermediate = 0;  // FFN width I (0: one plain matrix)
  bool gated = true;              // SwiGLU: gate and up fused as one [H x 2I] GEMM

  static GemmShape of(const ExpertShape& e) {
    return {static_cast<double>(e.params()),
            e.weight_bytes(),
            e.hidden,
            e.hidden,
            e.weight_dtype,
            e.intermediate,
            e.gated};
  }
  static GemmShape matrix(std::int64_t rows, std::int64_t cols, DType w) {
    const double p = static_cast<double>(rows) * static_cast<double>(cols);
    return {p, p * dtype_bytes(w), rows, cols, w, 0, true};
  }
};

// The precision a GEMM over weights of `weights` runs at: FP8 weights use FP8 tensor cores,
// 4-bit weights are dequantized to BF16 math (as on H100-class GPUs).
DType gemm_math_dtype(DType weights, DType activations);

// The kernels of one grouped GEMM over `experts` experts of shape `g` holding `tokens` tokens
// (`padded` once rounded up per expert to the tile), appended to `out`. They depend on the set
// only through these three numbers (the schedulers' contract).
void grouped_gemm_kernels(std::int64_t experts, std::int64_t tokens, std::int64_t padded,
                          const GemmShape& g, DType act, std::vector<GpuKernel>& out);

}  // namespace sievesim
