// Bank-level PIM on HBM3 at 5.2 Gbps (AttAcc "bank", Duplex "PIM"): one 16-lane FP16 unit per
// bank; all-bank MACs (MACAB) every nCCDAB = 6 tCK under the power limit (AttAcc HBM3-PIM.cpp,
// HBM3_5.2Gbps), every tCCD_L = 4 without (HBM3_5.2Gbps_NPC); 5 stacks as on an H100.
// The power limit is a budget for one stack's MAC stream (docs/energy.md): at the energy
// section's prices a MAC (64 banks x 32 B read, 64 x 16 FP16 MACs, 1/32 of an all-bank
// activation) costs 9.34 nJ per channel, 16 channels of it every n tCK of 0.769 ns draw
// 194.3 / n W; AttAcc's nCCDAB = 6 tCK is a budget between 32.4 and 38.9 W: 35 W.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3-bank-pim", R"(
inherit: hbm3-5.2gbps
impl: in-dram
description: bank-level PIM, one unit per bank, HBM3 5.2 Gbps, 5 stacks
stacks: 5
capacity_GB_per_stack: 16
banks_per_unit: 1
power_limit: true
mac_power_budget_W_per_stack: 35    # a MAC every 6 tCK = AttAcc's nCCDAB (HBM3_5.2Gbps), see above
input_vectors: 1
contention: independent   # dual row buffers: GPU and PIM access the DRAM concurrently
energy:
  mac_read_pj_per_bit: 0.44   # cell RD/WR only: the unit sits at its bank (AttAcc BA mem = 0.11 + 0.44)
)")
