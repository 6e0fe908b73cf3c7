#pragma once
// GPU cost model interface. Implementations register by name and are chosen by the preset's
// `impl:` key (overridable in the experiment).
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/params.hpp"
#include "base/registry.hpp"
#include "base/time.hpp"
#include "hw/energy/gpu_energy.hpp"
#include "hw/gpu/gpu_kernel.hpp"
#include "hw/gpu/gpu_peaks.hpp"
#include "model/model.hpp"

namespace sievesim {

struct GemmCost {
  sim_time_t time_ps = 0;
  double bytes = 0;  // HBM bytes moved (weights + activations)
  double flops = 0;  // useful FLOPs (tile padding excluded)
  bool compute_bound = false;
};

class GpuModel {
 public:
  virtual ~GpuModel() = default;
  // One kernel that reads `bytes` from HBM and performs `flops` at `math` precision.
  virtual sim_time_t kernel_ps(double flops, double bytes, DType math) const = 0;
  // One named kernel of a layer (gpu_kernel.hpp); a model without kernel classes costs it as
  // the plain kernel above.
  virtual sim_time_t kernel_ps(const GpuKernel& k) const {
    return kernel_ps(k.issued_flops(), k.bytes, k.math);
  }
  // One grouped GEMM over a set of experts of one shape, tokens[i] tokens for expert i
  // (activations in `act`), as the kernels it launches (an FFN shape: gate+up, activation,
  // down). Empty set: zero. Its cost depends on the set only through the
  // number of experts, their tokens and their tokens padded to the kernel's tiles: the contract
  // that lets the oracle scheduler search splits exactly.
  GemmCost grouped_gemm(std::span<const std::int32_t> tokens, const GemmShape& g, DType act) const {
    std::int64_t sum = 0, padded = 0;
    for (auto t : tokens) sum += t, padded += padded_tokens(t);
    return grouped_gemm_sums(static_cast<std::int64_t>(tokens.size()), sum, padded, g, act);
  }
  virtual GemmCost grouped_gemm_sums(std::int64_t experts, std::int64_t tokens,
                                     std::int64_t padded_tokens, const GemmShape& g,
                                     DType act) const = 0;
  // Tokens of one expert as the kernel computes them (rounded up to its tile).
  virtual std::int64_t padded_tokens(std::int32_t tokens) const = 0;
  sim_time_t grouped_gemm_ps(std::span<const std::int32_t> tokens, const ExpertShape& e,
                             DType act) const {
    return grouped_gemm(tokens, GemmShape::of(e), act).time_ps;
  }
  virtual double hbm_bandwidth_Bps() const = 0;  // achievable, not peak
  virtual double hbm_capacity_bytes() const = 0;
  virtual sim_time_t launch_ps() const = 0;

  // The price of the kernels' FLOPs and bytes (the preset's `energy`; make_gpu_model sets it).
  const GpuEnergy& energy() const { return *energy_; }
  EnergyUse kernel_energy(const GpuKernel& k) const {
    return energy_->kernel(k.issued_flops(), k.bytes, k.math);
  }
  // The kernels grouped_gemm launches, priced.
  EnergyUse grouped_gemm_energy(std::span<const std::int32_t> tokens, const GemmShape& g,
                                DType act) const;
  void set_energy(std::shared_ptr<const GpuEnergy> e) { energy_ = std::move(e); }

 private:
  std::shared_ptr<const GpuEnergy> energy_;
};

// Tensor cores work on tiles of tokens: each expert's tokens are padded up to whole tiles (what
// both GPU models charge a grouped GEMM for).
struct GemmTiles {
  explicit GemmTiles(const Params& p);
  std::int64_t padded(std::int64_t tokens) const {
    return (tokens + tile_tokens - 1) / tile_tokens * tile_tokens;
  }
  std::int64_t tile_tokens;
};

using GpuRegistry = Registry<GpuModel, const Params&>;

// Builds the implementation named by `impl` in `p` (a resolved preset).
std::unique_ptr<GpuModel> make_gpu_model(const Params& p);

}  // namespace sievesim
