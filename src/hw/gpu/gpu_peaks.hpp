#pragma once
#include "base/params.hpp"
#include "model/model.hpp"

namespace sievesim {

// A GPU's datasheet figures, read the same way by every implementation: peak FLOP/s per math
// dtype, HBM bandwidth and capacity (keys peak_{bf16,fp8,fp32}_tflops, hbm_bandwidth_GBps,
// hbm_capacity_GB). Defined in gpu_model.cpp.
struct GpuPeaks {
  explicit GpuPeaks(const Params& p);
  double flops(DType math) const;  // FP8 and FP32 have their own peaks; the rest run at BF16's
  double bf16_flops, fp8_flops, fp32_flops;
  double hbm_Bps, hbm_capacity_bytes;
};

}  // namespace sievesim
