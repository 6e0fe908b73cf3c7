#pragma once
// Energy a piece of work spends, by component (docs/energy.md). Cost models price their work in
// picojoules as doubles; the engine rounds each piece to whole picojoules as it books it into a
// result row, so that sums over rows, nodes and ranks are exact integer sums whatever the rank
// count.
#include <cmath>
#include <cstdint>

namespace sievesim {

struct EnergyUse {
  double gpu_compute_pj = 0;  // tensor-core and CUDA-core arithmetic
  double gpu_hbm_pj = 0;      // HBM traffic of GPU kernels (DRAM, stack interface, caches)
  double pim_pj = 0;          // PIM commands: activations, MAC reads and arithmetic, buffer I/O
  double link_pj = 0;         // bytes over the scale-up / scale-out links
  EnergyUse& operator+=(const EnergyUse& o) {
    gpu_compute_pj += o.gpu_compute_pj;
    gpu_hbm_pj += o.gpu_hbm_pj;
    pim_pj += o.pim_pj;
    link_pj += o.link_pj;
    return *this;
  }
  double total_pj() const { return gpu_compute_pj + gpu_hbm_pj + pim_pj + link_pj; }
};

// Whole picojoules of a piece of work (never negative).
inline std::int64_t whole_pj(double pj) {
  return pj > 0 ? static_cast<std::int64_t>(std::llround(pj)) : 0;
}

}  // namespace sievesim
