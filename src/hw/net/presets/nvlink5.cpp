// NVLink5 (B200): 900 GB/s per direction per GPU (reference/hardware.md).
// Call cost: the fixed cost is launch, peer signalling and polling, not link bandwidth; no
// per-call measurement on NVLink5 is published, so the NVLink4 figure (pplx-kernels README,
// EP8 NVLink on H100, 1 token per GPU: 41.6 / 41.7 us, less hop and bytes) carries over.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("fabric", "nvlink5", R"(
impl: alpha-beta
description: NVLink5 / NVSwitch, 900 GB/s per direction
bandwidth_GBps: 900
efficiency: 0.8
latency_us: 2.0
dispatch_call_us: 39.4   # as nvlink4 (pplx-kernels EP8 NVLink, 1 token per GPU)
combine_call_us: 39.4
energy_pj_per_bit: 11   # two 5.5 pJ/bit SerDes links, GPU to NVSwitch to GPU (docs/energy.md)
)")
