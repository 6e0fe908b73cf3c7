#pragma once
// Energy of GPU kernels (docs/energy.md): arithmetic per FLOP by math dtype, HBM traffic per
// byte, and the board's idle (static) power, which every second of a run costs, busy or not.
#include "base/params.hpp"
#include "hw/energy/energy.hpp"
#include "hw/gpu/gpu_peaks.hpp"
#include "model/model.hpp"

namespace sievesim {

class GpuEnergy {
 public:
  // Reads the `energy` section of a GPU preset; `peaks` are the datasheet peaks the per-FLOP
  // energies derive from.
  GpuEnergy(const Params& p, const GpuPeaks& peaks);
  // One kernel that performs `flops` at `math` precision and moves `bytes` to or from HBM.
  EnergyUse kernel(double flops, double bytes, DType math) const {
    EnergyUse e;
    e.gpu_compute_pj = flops * pj_per_flop(math);
    e.gpu_hbm_pj = bytes * pj_per_hbm_byte_;
    return e;
  }
  double pj_per_flop(DType math) const { return dynamic_W_ / peaks_.flops(math) * 1e12; }
  double pj_per_hbm_byte() const { return pj_per_hbm_byte_; }
  double idle_W() const { return idle_W_; }

 private:
  GpuPeaks peaks_;
  double idle_W_ = 0;
  // Arithmetic at a dtype's peak draws the power limit: the power above idle, spread over the
  // peak rate, is the energy of one FLOP (on-chip operand movement included).
  double dynamic_W_ = 0;
  double pj_per_hbm_byte_ = 0;
};

}  // namespace sievesim
