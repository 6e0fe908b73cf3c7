// Bank-level PIM on HBM3E for a B200-class GPU: one unit per bank, 8 stacks (dram/hbm3.cpp has
// the HBM3E part). Capacity 24 GB per stack as on a B200 (192 GB); the Sieve paper quotes 96 GB
// per GPU with PIM, with which Qwen3.5-397B-A17B in BF16 (794 GB) would not fit its 8 GPUs: set
// capacity_GB_per_stack: 12 to model that figure.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3e-bank-pim", R"(
inherit: hbm3-bank-pim         # the same PIM units on the HBM3E part (dram/hbm3.cpp: 8 Gbps pins)
description: bank-level PIM, one unit per bank, HBM3E 8 Gbps, 8 stacks (B200-class)
pin_gbps: 8.0
stacks: 8
capacity_GB_per_stack: 24
)")
