// NVIDIA H100 SXM5 80 GB (reference/hardware.md: NVIDIA datasheet; 80% achievable GEMM).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("gpu", "h100", R"(
impl: roofline
description: NVIDIA H100 SXM5 80 GB HBM3
peak_bf16_tflops: 989
peak_fp8_tflops: 1979
peak_fp32_tflops: 67
hbm_bandwidth_GBps: 3350
hbm_capacity_GB: 80
flops_efficiency: 0.8
bandwidth_efficiency: 0.8
launch_us: 1.0                # inside a CUDA graph (3-6 us eager)
gemm_tile_tokens: 64
bandwidth_half_saturation_MB: 0.5
)")
