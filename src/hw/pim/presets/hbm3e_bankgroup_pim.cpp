// Bank-group PIM on HBM3E for a B200-class GPU: one unit per bank group, 8 stacks (dram/hbm3.cpp
// has the HBM3E part; capacity as hbm3e-bank-pim).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3e-bankgroup-pim", R"(
inherit: hbm3e-8gbps
impl: in-dram
description: bank-group PIM, one unit per bank group, HBM3E 8 Gbps, 8 stacks (B200-class)
stacks: 8
capacity_GB_per_stack: 24
banks_per_unit: 4
power_limit: true
mac_interval_power_limited_tck: 3
mac_interval_tck: 2
input_vectors: 1
contention: independent   # dual row buffers: GPU and PIM access the DRAM concurrently
)")
