// Buffer PIM on HBM3 (AttAcc "buffer"): units on the logic die at 1x the external bandwidth.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3-buffer-pim", R"(
inherit: hbm3-5.2gbps
impl: logic-die
description: logic-die PIM at 1x internal bandwidth, HBM3 5.2 Gbps, 5 stacks
stacks: 5
capacity_GB_per_stack: 16
internal_bandwidth_multiple: 1
compute_tflops_per_stack: 1.33
input_vectors: 1
contention: independent   # dual row buffers: GPU and PIM access the DRAM concurrently
energy:
  mac_read_pj_per_bit: 3.18   # cell 0.44 + BG mux 1.01 + GIO mux 1.23 + TSV 0.5 (AttAcc BUFFER mem)
)")
