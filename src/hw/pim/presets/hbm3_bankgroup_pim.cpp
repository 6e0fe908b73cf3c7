// Bank-group PIM on HBM3 at 5.2 Gbps (AttAcc "bg"): one unit per bank group reading its four
// banks in turn. A MAC is one same-bank command (MACSB) broadcast to one bank of every bank
// group, and successive MACSBs are nCCDSB apart like all-bank MACs: 6 tCK under the power limit
// (AttAcc HBM3-PIM.cpp, HBM3_5.2Gbps), tCCD_L = 4 without (HBM3_5.2Gbps_NPC). So the peak is 4x
// the external bandwidth, not 8x (AttAcc's analytic src/config.py BW_SCALE assumes 8x, i.e. a
// MAC every tCCD_S, which its own cycle model does not allow).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3-bankgroup-pim", R"(
inherit: hbm3-5.2gbps
impl: in-dram
description: bank-group PIM, one unit per bank group, HBM3 5.2 Gbps, 5 stacks
stacks: 5
capacity_GB_per_stack: 16
banks_per_unit: 4
power_limit: true
mac_interval_power_limited_tck: 6   # nCCDSB, AttAcc HBM3_5.2Gbps
input_vectors: 1
contention: independent   # dual row buffers: GPU and PIM access the DRAM concurrently
energy:
  mac_read_pj_per_bit: 1.45   # cell RD/WR 0.44 + column decoder to bank-group mux 1.01 (AttAcc BG mem)
)")
