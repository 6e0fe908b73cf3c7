// bank-level PIM, one unit per bank, HBM3E 8 Gbps, 8 stacks (B200-class). HBM3E has no public
// timing presets: as hardware.md advises, the ns values of HBM3 are kept and tCK shortens to the 8
// Gbps pin rate (16 channels x 64 bit x 8 Gbps = 1.02 TB/s per stack; 32 pseudo-channels per
// stack). 96 GB per GPU with bank PIM (the Sieve paper): 12 GB per stack.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3e-bank-pim", R"(
impl: in-dram
description: bank-level PIM, one unit per bank, HBM3E 8 Gbps, 8 stacks (B200-class)
stacks: 8
capacity_GB_per_stack: 24
pin_gbps: 8.0
channels: 16
pseudo_channels: 2
stack_ids: 2            # 8-high
bank_groups: 4
banks_per_group: 4
row_bytes: 1024
access_bytes: 32
channel_bits: 64
banks_per_unit: 1
power_limit: true
mac_interval_power_limited_tck: 6
mac_interval_tck: 4
tRCD_ns: 14.615       # 19 tCK at 5.2 Gbps (hardware.md)
tRP_ns: 14.615        # 19 tCK
tRAS_ns: 34.615       # 45 tCK
tRC_ns: 48.462        # 63 tCK
tRTP_ns: 6.154        # 8 tCK (AttAcc nRTPL)
tCL_ns: 14.615        # 19 tCK
tFAW_ns: 30.0         # 39 tCK
tREFI_ns: 3900        # 5070 tCK
tRFC_ns: 260          # all-bank refresh (AttAcc's HBM3 table): all-bank PIM work must wait for it
tCCD_S_tck: 2
tCCD_L_tck: 4
tRRD_S_tck: 2
tRRD_L_tck: 4
tBL_tck: 2
input_vectors: 1
contention: independent   # dual row buffers: GPU and PIM access the DRAM concurrently
)")
