// Bank-level PIM on HBM3E for a B200-class GPU: one unit per bank, 8 stacks (dram/hbm3.cpp has
// the HBM3E part). Capacity 24 GB per stack as on a B200 (192 GB); the Sieve paper quotes 96 GB
// per GPU with PIM, with which Qwen3.5-397B-A17B in BF16 (794 GB) would not fit its 8 GPUs: set
// capacity_GB_per_stack: 12 to model that figure.
// Power budget (docs/energy.md): the HBM3 preset's 6 tCK at 8 Gbps (tCK 0.5 ns) is 298.8 / 6 W of
// MAC stream per stack, so keeping it takes a budget between 49.8 and 59.8 W: 55 W, 1.6x the HBM3
// part's 35 W. With the HBM3 budget the MACs would be 9 tCK apart (4.5 ns, as HBM3's 4.6 ns):
// the same power buys the same MAC rate whatever the pin rate. Kept at 6 tCK as AttAcc's timing,
// which the paper setups were calibrated with; set mac_power_budget_W_per_stack: 35 to compare.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3e-bank-pim", R"(
inherit: hbm3-bank-pim         # the same PIM units on the HBM3E part (dram/hbm3.cpp: 8 Gbps pins)
description: bank-level PIM, one unit per bank, HBM3E 8 Gbps, 8 stacks (B200-class)
pin_gbps: 8.0
stacks: 8
capacity_GB_per_stack: 24
mac_power_budget_W_per_stack: 55   # keeps HBM3's 6 tCK at the 0.5 ns clock; see above
)")
