// PCIe 5 x16: 64 GB/s per direction (reference/hardware.md).
// Call cost: no all-to-all kernel over PCIe P2P publishes a per-call figure; the same kernels'
// fixed cost over NVLink (pplx-kernels README, EP8, 1 token per GPU) is the closest measurement
// of launch, signalling and polling, and is used here.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("fabric", "pcie5", R"(
impl: alpha-beta
description: PCIe 5.0 x16, 64 GB/s per direction
bandwidth_GBps: 64
efficiency: 0.8
latency_us: 2.0
dispatch_call_us: 39.4   # as nvlink4 (pplx-kernels EP8, 1 token per GPU)
combine_call_us: 39.4
energy_pj_per_bit: 11   # two 5.5 pJ/bit SerDes links, GPU to switch to GPU (docs/energy.md)
)")
