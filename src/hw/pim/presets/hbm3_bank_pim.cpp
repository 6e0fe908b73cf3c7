// Bank-level PIM on HBM3 at 5.2 Gbps (AttAcc/Duplex "bank" PIM): 5 stacks as on an H100, about
// 7x the external bandwidth effective under the power limit (reference/hardware.md).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3-bank-pim", R"(
impl: bandwidth
description: bank-level PIM, one unit per bank, HBM3 5.2 Gbps, 5 stacks
stacks: 5
external_bandwidth_per_stack_GBps: 666
internal_bandwidth_multiple: 7.0
input_vectors: 1
pass_overhead_ns: 100
attention_efficiency: 0.7
)")
