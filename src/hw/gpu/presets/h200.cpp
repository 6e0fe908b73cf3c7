// NVIDIA H200 141 GB (reference/hardware.md), kernel-level model. Same SM silicon as H100, so
// every efficiency and fixed cost is the H100 preset's (see its sources) as the same fraction of
// peak; GH200's BF16 MAMF (stas00/ml-engineering: 821.0 of 989, 83.0%) confirms 0.80 on HBM3E.
// The half-saturation sizes scale with bandwidth (Little's law: the same latency needs 4.8/3.35
// as many bytes in flight).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("gpu", "h200", R"(
impl: kernels
description: NVIDIA H200 141 GB HBM3E
peak_bf16_tflops: 989
peak_fp8_tflops: 1979
peak_fp32_tflops: 67
hbm_bandwidth_GBps: 4800
hbm_capacity_GB: 141
gemm_tile_tokens: 64
cuda_graphs: true
fixed_graph_us: 1.0
fixed_eager_us: 3.9
gemm_bandwidth_efficiency: 0.83
gemm_half_saturation_MB: 7.7
gemm_bf16_flops_efficiency: 0.80
gemm_fp8_flops_efficiency: 0.60
gemm_4bit_bandwidth_efficiency: 0.79
gemm_4bit_flops_efficiency: 0.72
attention_bandwidth_efficiency: 0.90
attention_flops_efficiency: 0.67
elementwise_bandwidth_efficiency: 0.91
reduction_bandwidth_efficiency: 0.45
vector_flops_efficiency: 0.75
half_saturation_MB: 1.2
)")
