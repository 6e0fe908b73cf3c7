// NVIDIA B200 (reference/hardware.md; the Sieve paper's GPU: 2250 TFLOPS BF16, 8 TB/s; 96 GB
// per GPU with PIM is the PIM stacks' share, modelled in the PIM preset).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("gpu", "b200", R"(
impl: roofline
description: NVIDIA B200 HBM3E (8 stacks)
peak_bf16_tflops: 2250
peak_fp8_tflops: 4500
peak_fp32_tflops: 80
hbm_bandwidth_GBps: 8000
hbm_capacity_GB: 180
flops_efficiency: 0.8
bandwidth_efficiency: 0.8
launch_us: 1.0                # inside a CUDA graph (3-6 us eager)
gemm_tile_tokens: 64
bandwidth_half_saturation_MB: 0.5
)")
