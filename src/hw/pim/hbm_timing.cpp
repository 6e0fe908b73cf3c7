#include "hw/pim/hbm_timing.hpp"

#include <cmath>

namespace sievesim {

HbmOrg read_hbm_org(const Params& p) {
  HbmOrg o;
  o.stacks = p.param<std::int64_t>("stacks").min(1).max(64).required();
  o.channels = p.param<std::int64_t>("channels").min(1).max(256).required();
  o.pseudo_channels = p.param<std::int64_t>("pseudo_channels").min(1).max(8).required();
  o.stack_ids = p.param<std::int64_t>("stack_ids").min(1).max(16).required();
  o.bank_groups = p.param<std::int64_t>("bank_groups").min(1).max(64).required();
  o.banks = p.param<std::int64_t>("banks_per_group").min(1).max(64).required();
  o.row_bytes = p.param<std::int64_t>("row_bytes").min(32).max(1 << 16).required();
  o.access_bytes = p.param<std::int64_t>("access_bytes").min(1).max(1024).required();
  o.pin_gbps = p.param<double>("pin_gbps").above(0).max(100).required();
  o.channel_bits = p.param<std::int64_t>("channel_bits").min(8).max(4096).required();
  o.capacity_bytes_per_stack = p.param<double>("capacity_GB_per_stack").above(0).required() * 1e9;
  if (o.row_bytes % o.access_bytes != 0)
    p.fail("row_bytes", "expected a multiple of access_bytes (" + std::to_string(o.access_bytes) +
                            "), got " + std::to_string(o.row_bytes));
  return o;
}

HbmTiming read_hbm_timing(const Params& p, const HbmOrg& org) {
  HbmTiming t;
  // QDR data pins: one clock carries four bits per pin (as AttAcc's HBM3 model defines tCK).
  t.tck_ns = p.param<double>("tck_ns").above(0).dflt(4.0 / org.pin_gbps);
  // Whole cycles, rounded up; the 1% slack lets a preset write 14.6 ns for 19 x 0.769 ns.
  auto cycles = [&](const char* key) {
    const double ns = p.param<double>(key).min(0).required();
    return static_cast<std::int64_t>(std::ceil(ns / t.tck_ns - 0.01));
  };
  auto clocks = [&](const char* key) {
    return p.param<std::int64_t>(key).min(1).max(1024).required();
  };
  t.rcd = cycles("tRCD_ns");
  t.rp = cycles("tRP_ns");
  t.ras = cycles("tRAS_ns");
  t.rc = cycles("tRC_ns");
  t.rtp = cycles("tRTP_ns");
  t.cl = cycles("tCL_ns");
  t.faw = cycles("tFAW_ns");
  t.refi = cycles("tREFI_ns");
  t.rfc = cycles("tRFC_ns");
  t.ccd_s = clocks("tCCD_S_tck");
  t.ccd_l = clocks("tCCD_L_tck");
  t.rrd_s = clocks("tRRD_S_tck");
  t.rrd_l = clocks("tRRD_L_tck");
  t.bl = clocks("tBL_tck");
  return t;
}

}  // namespace sievesim
