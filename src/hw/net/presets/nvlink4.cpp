// NVLink4 (H100/H200): 450 GB/s per direction per GPU, 340-380 achieved (reference/hardware.md).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("fabric", "nvlink4", R"(
impl: alpha-beta
description: NVLink4 / NVSwitch, 450 GB/s per direction
bandwidth_GBps: 450
efficiency: 0.8
latency_us: 2.0
)")
