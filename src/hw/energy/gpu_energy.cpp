#include "hw/energy/gpu_energy.hpp"

namespace sievesim {

GpuEnergy::GpuEnergy(const Params& p, const GpuPeaks& peaks) : peaks_(peaks) {
  const double tdp_W = p.param<double>("tdp_W")
                           .above(0)
                           .max(1e5)
                           .desc(
                               "board power limit, W (datasheet): what the GPU draws when a "
                               "kernel runs its math at the dtype's peak")
                           .required();
  idle_W_ = p.param<double>("idle_W")
                .min(0)
                .max(1e5)
                .desc(
                    "board power with nothing running, W (measured; includes the HBM's "
                    "background and refresh): static power, paid every second of a run")
                .required();
  if (idle_W_ >= tdp_W) p.fail("idle_W", "expected less than tdp_W");
  dynamic_W_ = tdp_W - idle_W_;
  const double hbm_pj_per_bit =
      p.param<double>("hbm_pj_per_bit")
          .min(0)
          .max(1000)
          .desc(
              "one bit between the DRAM cells and the GPU, pJ: activation, cell, bank-group "
              "and global I/O, TSV and interposer (FGDRAM's HBM stages, AttAcc's GPU mem)")
          .required();
  const double cache_pj_per_byte =
      p.param<double>("cache_pj_per_byte")
          .min(0)
          .max(1000)
          .desc(
              "one HBM byte passing L2, L1 and the registers on its way in, pJ (AttAcc's "
              "l2 + l1 + reg)")
          .required();
  pj_per_hbm_byte_ = hbm_pj_per_bit * 8.0 + cache_pj_per_byte;
}

}  // namespace sievesim
