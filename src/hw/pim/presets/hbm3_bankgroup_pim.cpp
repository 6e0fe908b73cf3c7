// Bank-group PIM on HBM3 at 5.2 Gbps (AttAcc "bg"): one unit per bank group reading its four
// banks in turn; 8x the external bandwidth at peak (a granule per unit every 2 tCK), 3 tCK
// under the power limit (reference/hardware.md).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3-bankgroup-pim", R"(
inherit: hbm3-5.2gbps
impl: in-dram
description: bank-group PIM, one unit per bank group, HBM3 5.2 Gbps, 5 stacks
stacks: 5
capacity_GB_per_stack: 16
banks_per_unit: 4
power_limit: true
mac_interval_power_limited_tck: 3
mac_interval_tck: 2
input_vectors: 1
contention: independent   # dual row buffers: GPU and PIM access the DRAM concurrently
)")
