// NVIDIA B200 (reference/hardware.md; the Sieve paper's GPU: 2250 TFLOPS BF16, 8 TB/s; 96 GB
// per GPU with PIM is the PIM stacks' share, modelled in the PIM preset), kernel-level model.
// No published kernel tables on Blackwell were used: every efficiency is the H100 preset's
// (see its sources) carried over as the same fraction of peak, the fixed costs unchanged (launch
// and graph replay are front-end costs), the half-saturation sizes scaled by 8/3.35 with the
// bandwidth (Little's law).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("gpu", "b200", R"(
inherit: h100            # every efficiency and fixed cost: H100's, as the same fraction of peak
description: NVIDIA B200 HBM3E (8 stacks)
peak_bf16_tflops: 2250
peak_fp8_tflops: 4500
peak_fp32_tflops: 80
energy:
  tdp_W: 1000     # HGX B200 datasheet, per GPU
  idle_W: 115     # assumption: the H200's measured 80.3 W scaled by the power limit (1000 / 700)
hbm_bandwidth_GBps: 8000
hbm_capacity_GB: 180
gemm_half_saturation_MB: 12.9
half_saturation_MB: 2.0
)")
