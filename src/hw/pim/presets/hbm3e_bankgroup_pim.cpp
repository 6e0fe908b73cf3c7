// Bank-group PIM on HBM3E for a B200-class GPU: one unit per bank group, 8 stacks (dram/hbm3.cpp
// has the HBM3E part; capacity as hbm3e-bank-pim).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3e-bankgroup-pim", R"(
inherit: hbm3-bankgroup-pim         # the same PIM units on the HBM3E part (dram/hbm3.cpp: 8 Gbps pins)
description: bank-group PIM, one unit per bank group, HBM3E 8 Gbps, 8 stacks (B200-class)
pin_gbps: 8.0
stacks: 8
capacity_GB_per_stack: 24
mac_power_budget_W_per_stack: 38   # keeps HBM3's 6 tCK at the 0.5 ns clock (34.5-41.4 W)
)")
