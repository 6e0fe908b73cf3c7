// HBM3 (8-high) organization and timing at 5.2 Gbps, as the AttAcc and Duplex PIM simulators use
// them (reference/hardware.md). PIM presets inherit it. HBM3E has no public timing presets, so
// the HBM3E PIM presets keep these ns values and only raise pin_gbps to 8: tCK shortens to the
// pin rate (16 channels x 64 bit x 8 Gbps = 1.02 TB/s per stack; 32 pseudo-channels per stack).
// Energy: the per-bit costs of each stage of an HBM access in AttAcc's table (FGDRAM's HBM2
// figures; no HBM3-specific breakdown is public); the PIM presets add where their units read.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("dram", "hbm3-5.2gbps", R"(
pin_gbps: 5.2
channels: 16
pseudo_channels: 2
stack_ids: 2            # 8-high
bank_groups: 4
banks_per_group: 4
row_bytes: 1024
access_bytes: 32
channel_bits: 64
tRCD_ns: 14.615       # 19 tCK at 5.2 Gbps (hardware.md)
tRP_ns: 14.615        # 19 tCK
tRAS_ns: 34.615       # 45 tCK
tRC_ns: 48.462        # 63 tCK
tRTP_ns: 6.154        # 8 tCK (AttAcc nRTPL)
tCL_ns: 14.615        # 19 tCK
tFAW_ns: 30.0         # 39 tCK
tREFI_ns: 3900        # 5070 tCK
tRFC_ns: 350          # all-bank refresh: AttAcc's HBM3-PIM.cpp tRFC_TABLE gives 350 ns for 8 Gb dies, the
                      # HBM3_8Gb_2R org of attacc_bank.yaml (260 in their timing table is nRFCSB, per bank)
tCCD_S_tck: 2
tCCD_L_tck: 4         # also the MAC interval without the power limit (AttAcc _NPC: nCCDAB = nCCDSB = 4)
tRRD_S_tck: 2
tRRD_L_tck: 4
tBL_tck: 2
energy:               # pJ, AttAcc src/config.py from FGDRAM (MICRO 2017), docs/energy.md
  activate_pj_per_bit: 0.11    # cell ACT/PRE per bit of the row opened (909 pJ per 1 KB row)
  io_pj_per_bit: 3.04          # host <-> PIM buffers: interposer 0.3 + TSV 0.5 + GIO mux 1.23 + BG mux 1.01
  mac_pj: 0.32                 # one FP16 MAC (AttAcc alu)
  buffer_pj_per_byte: 0.0034   # PIM buffer SRAM (AttAcc sram)
  refreshes_per_window: 8192   # JEDEC: 8192 REF per retention window (tREFI 3.9 us x 8192 = 32 ms)
)")
