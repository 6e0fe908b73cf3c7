// NVLink5 (B200): 900 GB/s per direction per GPU (reference/hardware.md).
#include "hw/preset.hpp"

SIEVESIM_REGISTER_PRESET("fabric", "nvlink5", R"(
impl: alpha-beta
description: NVLink5 / NVSwitch, 900 GB/s per direction
bandwidth_GBps: 900
efficiency: 0.8
latency_us: 2.0
)")
