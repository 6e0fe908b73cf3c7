// InfiniBand NDR: 400 Gb/s = 50 GB/s per direction per GPU, 40-47 achieved (reference/hardware.md).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("fabric", "ib-ndr", R"(
impl: alpha-beta
description: InfiniBand NDR 400 Gb/s, one NIC per GPU
bandwidth_GBps: 50
efficiency: 0.85
latency_us: 5.0
)")
