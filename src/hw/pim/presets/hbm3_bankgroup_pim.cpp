// Bank-group PIM on HBM3 at 5.2 Gbps (AttAcc "bg"): one unit per bank group reading its four
// banks in turn. A MAC is one same-bank command (MACSB) broadcast to one bank of every bank
// group, and successive MACSBs are nCCDSB apart like all-bank MACs: 6 tCK under the power limit
// (AttAcc HBM3-PIM.cpp, HBM3_5.2Gbps), tCCD_L = 4 without (HBM3_5.2Gbps_NPC). So the peak is 4x
// the external bandwidth, not 8x (AttAcc's analytic src/config.py BW_SCALE assumes 8x, i.e. a
// MAC every tCCD_S, which its own cycle model does not allow).
// Power budget (docs/energy.md): a same-bank MAC (16 banks x 32 B through the bank-group mux,
// 16 x 16 FP16 MACs, 1/32 of a 16-bank activation) costs 6.47 nJ per channel; 16 channels every
// n tCK draw 134.6 / n W; AttAcc's nCCDSB = 6 tCK is a budget between 22.4 and 26.9 W: 25 W.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3-bankgroup-pim", R"(
inherit: hbm3-5.2gbps
impl: in-dram
description: bank-group PIM, one unit per bank group, HBM3 5.2 Gbps, 5 stacks
stacks: 5
capacity_GB_per_stack: 16
banks_per_unit: 4
power_limit: true
mac_power_budget_W_per_stack: 25    # a MAC every 6 tCK = AttAcc's nCCDSB (HBM3_5.2Gbps), see above
input_vectors: 1
contention: independent   # dual row buffers: GPU and PIM access the DRAM concurrently
energy:
  mac_read_pj_per_bit: 1.45   # cell RD/WR 0.44 + column decoder to bank-group mux 1.01 (AttAcc BG mem)
)")
