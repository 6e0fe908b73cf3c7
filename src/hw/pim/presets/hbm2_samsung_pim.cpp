// Samsung HBM-PIM (Aquabolt-XL, HBM2 at 2.4 Gbps): one 16-lane FP16 SIMD unit per two banks at
// 300 MHz (a granule every 4 tCK = tCCD_L of the 1.2 GHz clock, with or without a power limit), 4x
// the external bandwidth, 1.2 TFLOPS per stack (reference/hardware.md). HBM2 timings are the
// JEDEC-typical ns values.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm2-samsung-pim", R"(
impl: in-dram
description: Samsung HBM-PIM (Aquabolt-XL), one unit per two banks, HBM2 2.4 Gbps, 4 stacks
stacks: 4
capacity_GB_per_stack: 6
pin_gbps: 2.4
tck_ns: 0.833           # DDR clock of HBM2 (1.2 GHz), not QDR
channels: 8
pseudo_channels: 2
stack_ids: 1
bank_groups: 4
banks_per_group: 4
row_bytes: 1024
access_bytes: 32
channel_bits: 128
banks_per_unit: 2
power_limit: true
mac_interval_power_limited_tck: 4
tRCD_ns: 14
tRP_ns: 14
tRAS_ns: 33
tRC_ns: 47
tRTP_ns: 7.5
tCL_ns: 14
tFAW_ns: 30
tREFI_ns: 3900
tRFC_ns: 350
tCCD_S_tck: 2
tCCD_L_tck: 4
tRRD_S_tck: 4
tRRD_L_tck: 6
tBL_tck: 2
input_vectors: 1
contention: exclusive     # HBM-PIM switches the banks between memory and PIM mode
)")
