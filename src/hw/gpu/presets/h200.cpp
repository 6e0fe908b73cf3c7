// NVIDIA H200 141 GB (reference/hardware.md), kernel-level model. Same SM silicon as H100, so
// every efficiency and fixed cost is the H100 preset's (see its sources) as the same fraction of
// peak; GH200's BF16 MAMF (stas00/ml-engineering: 821.0 of 989, 83.0%) confirms 0.80 on HBM3E.
// The half-saturation sizes scale with bandwidth (Little's law: the same latency needs 4.8/3.35
// as many bytes in flight).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("gpu", "h200", R"(
inherit: h100            # every efficiency and fixed cost: H100's, as the same fraction of peak
description: NVIDIA H200 141 GB HBM3E
peak_bf16_tflops: 989
peak_fp8_tflops: 1979
peak_fp32_tflops: 67
hbm_bandwidth_GBps: 4800
hbm_capacity_GB: 141
gemm_half_saturation_MB: 7.7
half_saturation_MB: 1.2
)")
