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
mac_power_budget_W_per_stack: 6   # MACs every tCCD_L (4 tCK) draw 5.6 W per stack: not binding
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
energy:                     # pJ, AttAcc src/config.py from FGDRAM's HBM2 figures (docs/energy.md)
  activate_pj_per_bit: 0.11    # cell ACT/PRE per bit of the row opened
  mac_read_pj_per_bit: 0.44    # cell RD/WR: the unit sits at the banks' I/O
  io_pj_per_bit: 3.04          # interposer 0.3 + TSV 0.5 + GIO mux 1.23 + BG mux 1.01
  mac_pj: 0.32                 # one FP16 MAC (AttAcc alu)
  buffer_pj_per_byte: 0.0034   # PIM buffer SRAM (AttAcc sram)
  refreshes_per_window: 8192   # JEDEC HBM2: 8192 REF per 32 ms
contention: exclusive     # HBM-PIM switches the banks between memory and PIM mode
)")
