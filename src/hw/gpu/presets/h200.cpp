// NVIDIA H200 141 GB (reference/hardware.md).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("gpu", "h200", R"(
impl: roofline
description: NVIDIA H200 141 GB HBM3E
peak_bf16_tflops: 989
peak_fp8_tflops: 1979
peak_fp32_tflops: 67
hbm_bandwidth_GBps: 4800
hbm_capacity_GB: 141
flops_efficiency: 0.8
bandwidth_efficiency: 0.8
launch_us: 1.0                # inside a CUDA graph (3-6 us eager)
gemm_tile_tokens: 64
bandwidth_half_saturation_MB: 0.5
)")
