// Duplex Logic-PIM on HBM3: 32 GEMM modules x 512 FP16 MACs at 650 MHz on the logic die,
// 4x the external bandwidth through extra TSVs, 21.3 TFLOPS per stack (reference/hardware.md).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3-logic-pim", R"(
inherit: hbm3-5.2gbps
impl: logic-die
description: Duplex-like logic-die PIM, 4x internal bandwidth, 21.3 TFLOPS per stack, HBM3, 5 stacks
stacks: 5
capacity_GB_per_stack: 16
internal_bandwidth_multiple: 4
compute_tflops_per_stack: 21.3
input_vectors: 1
contention: independent   # dual row buffers: GPU and PIM access the DRAM concurrently
energy:
  mac_read_pj_per_bit: 3.18   # cell 0.44 + BG mux 1.01 + GIO mux 1.23 + TSV 0.5 (AttAcc BUFFER mem)
)")
