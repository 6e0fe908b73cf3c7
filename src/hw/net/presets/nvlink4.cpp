// NVLink4 (H100/H200): 450 GB/s per direction per GPU, 340-380 achieved (reference/hardware.md).
// Call cost: perplexityai/pplx-kernels README, "Benchmark Results", EP8 over NVLink on H100
// (DeepSeek-V3 shapes: 7168 hidden, top-8), 1 token per GPU: dispatch 41.6 us, combine 41.7 us.
// With one token the bytes are negligible (57 KB: 0.2 us here), so the call costs the measured
// time less the modelled hop latency and bytes: 41.6 - 2.0 - 0.2 = 39.4 us for either call.
// bench/validation/net.csv checks the 128-token rows of the same table against it.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("fabric", "nvlink4", R"(
impl: alpha-beta
description: NVLink4 / NVSwitch, 450 GB/s per direction
bandwidth_GBps: 450
efficiency: 0.8
latency_us: 2.0
dispatch_call_us: 39.4   # pplx-kernels EP8 NVLink, 1 token per GPU, less hop and bytes
combine_call_us: 39.4
energy_pj_per_bit: 11   # two 5.5 pJ/bit SerDes links, GPU to NVSwitch to GPU (docs/energy.md)
)")
