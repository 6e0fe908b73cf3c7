// Duplex-like logic-die PIM on HBM3E for a B200-class GPU: 4x the external bandwidth, 21.3
// TFLOPS per stack, 8 stacks (dram/hbm3.cpp has the HBM3E part).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3e-logic-pim", R"(
inherit: hbm3e-8gbps
impl: logic-die
description: Duplex-like logic-die PIM, 4x internal bandwidth, HBM3E 8 Gbps, 8 stacks (B200-class)
stacks: 8
capacity_GB_per_stack: 24
internal_bandwidth_multiple: 4
compute_tflops_per_stack: 21.3
input_vectors: 1
contention: independent   # dual row buffers: GPU and PIM access the DRAM concurrently
)")
