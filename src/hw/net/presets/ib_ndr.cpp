// InfiniBand NDR: 400 Gb/s = 50 GB/s per direction per GPU, 40-47 achieved (reference/hardware.md).
// Call cost: perplexityai/pplx-kernels README, "Benchmark Results", IBGDA on H100 with 400 Gb/s
// NICs, EP16, 1 token per GPU: dispatch 102.7 us, combine 62.7 us (EP32-128: 116-126 / 55-63).
// Less the modelled hop latency (5 us) and one token's bytes (57 KB FP8 dispatch, 115 KB BF16
// combine at 42.5 GB/s: 1.3 / 2.7 us): 96.4 and 55.0 us.
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("fabric", "ib-ndr", R"(
impl: alpha-beta
description: InfiniBand NDR 400 Gb/s, one NIC per GPU
bandwidth_GBps: 50
efficiency: 0.85
latency_us: 5.0
dispatch_call_us: 96.4   # pplx-kernels IBGDA EP16, 1 token per GPU, less hop and bytes
combine_call_us: 55.0
energy_pj_per_bit: 90   # four 400G OSFP transceivers at 9 W / 400 Gb/s = 22.5 pJ/bit each (docs/energy.md)
)")
