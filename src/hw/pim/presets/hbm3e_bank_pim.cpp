// Bank-level PIM on HBM3E for a B200-class GPU: 8 stacks at about 1 TB/s external each, the same
// effective internal multiple as HBM3 bank PIM (reference/hardware.md, sieve.md).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("pim", "hbm3e-bank-pim", R"(
impl: bandwidth
description: bank-level PIM, one unit per bank, HBM3E 8 Gbps, 8 stacks
stacks: 8
external_bandwidth_per_stack_GBps: 1000
internal_bandwidth_multiple: 7.0
input_vectors: 1
pass_overhead_ns: 100
attention_efficiency: 0.7
)")
