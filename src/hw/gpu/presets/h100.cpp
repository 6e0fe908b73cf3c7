// NVIDIA H100 SXM5 80 GB (reference/hardware.md: NVIDIA datasheet), kernel-level model
// (kernels_gpu.cpp). Every efficiency is a published kernel measurement, not a serving figure;
// bench/validation/gpu.csv says which rows calibrate and which validate.
//
// - gemm_bf16_flops_efficiency 0.80: stas00/ml-engineering compute/accelerator/README.md, MAMF
//   table: H100 SXM BF16 matmul 792.1 of 989 TFLOPS (80.1%).
// - gemm_fp8_flops_efficiency 0.60: deepseek-ai/DeepGEMM README.md (first release, H800 = H100
//   SXM silicon, 989/1979 TFLOPS, 3.35 TB/s), grouped contiguous-layout table: 1297, 1099, 1288,
//   1093 TFLOPS = 0.60 of 1979 on average. FP8 (fine-grained scaling, CUDA-core promotion)
//   reaches well below BF16's fraction of its peak.
// - gemm_bandwidth_efficiency 0.83, gemm_half_saturation_MB 5.4: least squares of
//   time = (bytes + half) / (BW x eff) over the DeepGEMM README's M=64 dense rows (N,K =
//   24576,1536 / 32768,512 / 7168,16384 / 4096,7168 / 7168,2048): 83% of HBM once saturated,
//   plus ~1.9 us of pipeline latency per GEMM kernel (N=2112 left out: 17 N-tiles leave most
//   of the 132 SMs idle, which no bandwidth term describes).
// - gemm_4bit_*: IST-DASLab/marlin README and paper (arXiv 2408.11743): 4-bit weights stay
//   within 5% of the ideal 3.87x speedup up to batch 32 (bandwidth 0.95 x 0.83 = 0.79), and
//   prefill at >= 1024 tokens runs ~10% below FP16 (math 0.9 x 0.80 = 0.72). Measured on A10
//   (Ampere); the same fractions are assumed on Hopper.
// - attention_bandwidth_efficiency 0.90, attention_flops_efficiency 0.67: deepseek-ai/FlashMLA
//   README.md: dense MLA decode up to 3000 GB/s memory-bound and 660 TFLOPS compute-bound on
//   H800 SXM5 (3000/3350, 660/989).
// - elementwise_bandwidth_efficiency 0.91, vector_flops_efficiency 0.75, fixed costs and
//   half_saturation_MB: an H100 NVL ceiling probe (public GitHub analysis, code/ceiling_probe.py):
//   4 GiB copy at 3.568 TB/s = 90.6% of 3.938, read-read-write 91.4%; FP32 matmul 75.4% of
//   peak; a trivial kernel costs 1.28 us inside a replayed CUDA graph and 4.2 us issued eagerly
//   from Python. reference/hardware.md: ~1 us in a graph, 3-6 us eager. fixed_graph_us 1.0 is
//   hardware.md's; the remaining 0.28 us of the probe's 1.28 is the memory latency of a tiny
//   kernel, half_saturation = 0.28 us x 0.91 x 3.35 TB/s = 0.85 MB; eager 4.2 - 0.28 = 3.9 us.
// - reduction_bandwidth_efficiency 0.45: no kernel-level figure found for router top-k or
//   sampling; half the copy rate because top-k/top-p sampling passes over the logits about
//   twice. An assumption, flagged as such.
// - energy (docs/energy.md): tdp_W 700 is the datasheet's; arithmetic at a dtype's peak is taken to
//   draw it, so a FLOP costs (tdp - idle) / peak (0.63 pJ BF16, 0.31 FP8, 9.2 FP32). idle_W 80.3:
//   "80.3 W idle" of an H200 SXM measured with nvidia-smi (api.serialalice.pt/alice-benchmark);
//   no H100 figure was found, and the two share the die and the 700 W limit. hbm_pj_per_bit and
//   cache_pj_per_byte: AttAcc's GPU energy table (scale-snu/attacc_simulator src/config.py; its
//   HBM stages from FGDRAM, O'Connor et al. MICRO 2017).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("gpu", "h100", R"(
impl: kernels
description: NVIDIA H100 SXM5 80 GB HBM3
peak_bf16_tflops: 989
peak_fp8_tflops: 1979
peak_fp32_tflops: 67
hbm_bandwidth_GBps: 3350
hbm_capacity_GB: 80
gemm_tile_tokens: 64
cuda_graphs: true
fixed_graph_us: 1.0
fixed_eager_us: 3.9
gemm_bandwidth_efficiency: 0.83
gemm_half_saturation_MB: 5.4
gemm_bf16_flops_efficiency: 0.80
gemm_fp8_flops_efficiency: 0.60
gemm_4bit_bandwidth_efficiency: 0.79
gemm_4bit_flops_efficiency: 0.72
attention_bandwidth_efficiency: 0.90
attention_flops_efficiency: 0.67
elementwise_bandwidth_efficiency: 0.91
reduction_bandwidth_efficiency: 0.45
vector_flops_efficiency: 0.75
half_saturation_MB: 0.85
energy:
  tdp_W: 700                # H100 SXM5 datasheet
  idle_W: 80.3              # measured idle of an H200 SXM (same board power class), see above
  hbm_pj_per_bit: 3.59      # FGDRAM via AttAcc: 0.11 + 0.44 + 1.01 + 1.23 + 0.5 + 0.3
  cache_pj_per_byte: 3.75   # AttAcc: L2 0.3 pJ/b + L1 0.16 pJ/b (x 8) + registers 0.0675 pJ/B
)")
