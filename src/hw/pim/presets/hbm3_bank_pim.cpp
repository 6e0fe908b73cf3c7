// Bank-level PIM on HBM3 at 5.2 Gbps (AttAcc "bank", Duplex "PIM"): one 16-lane FP16 unit per
// bank; all-bank MACs (MACAB) every nCCDAB = 6 tCK under the power limit (AttAcc HBM3-PIM.cpp,
// HBM3_5.2Gbps), every tCCD_L = 4 without (HBM3_5.2Gbps_NPC); 5 stacks as on an H100.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3-bank-pim", R"(
inherit: hbm3-5.2gbps
impl: in-dram
description: bank-level PIM, one unit per bank, HBM3 5.2 Gbps, 5 stacks
stacks: 5
capacity_GB_per_stack: 16
banks_per_unit: 1
power_limit: true
mac_interval_power_limited_tck: 6   # nCCDAB, AttAcc HBM3_5.2Gbps
input_vectors: 1
contention: independent   # dual row buffers: GPU and PIM access the DRAM concurrently
energy:
  mac_read_pj_per_bit: 0.44   # cell RD/WR only: the unit sits at its bank (AttAcc BA mem = 0.11 + 0.44)
)")
