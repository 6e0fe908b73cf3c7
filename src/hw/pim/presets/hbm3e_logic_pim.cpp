// Duplex-like logic-die PIM on HBM3E for a B200-class GPU: 4x the external bandwidth, 21.3
// TFLOPS per stack, 8 stacks (dram/hbm3.cpp has the HBM3E part).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3e-logic-pim", R"(
inherit: hbm3-logic-pim         # the same PIM units on the HBM3E part (dram/hbm3.cpp: 8 Gbps pins)
description: Duplex-like logic-die PIM, 4x internal bandwidth, HBM3E 8 Gbps, 8 stacks (B200-class)
pin_gbps: 8.0
stacks: 8
capacity_GB_per_stack: 24
)")
