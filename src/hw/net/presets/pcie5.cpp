// PCIe 5 x16: 64 GB/s per direction (reference/hardware.md).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("fabric", "pcie5", R"(
impl: alpha-beta
description: PCIe 5.0 x16, 64 GB/s per direction
bandwidth_GBps: 64
efficiency: 0.8
latency_us: 2.0
)")
