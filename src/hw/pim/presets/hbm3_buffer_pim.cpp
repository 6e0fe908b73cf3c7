// Buffer PIM on HBM3 (AttAcc "buffer"): units on the logic die at 1x the external bandwidth.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3-buffer-pim", R"(
impl: logic-die
description: logic-die PIM at 1x internal bandwidth, HBM3 5.2 Gbps, 5 stacks
stacks: 5
capacity_GB_per_stack: 16
pin_gbps: 5.2
channels: 16
pseudo_channels: 2
stack_ids: 2            # 8-high
bank_groups: 4
banks_per_group: 4
row_bytes: 1024
access_bytes: 32
channel_bits: 64
internal_bandwidth_multiple: 1
compute_tflops_per_stack: 1.33
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
