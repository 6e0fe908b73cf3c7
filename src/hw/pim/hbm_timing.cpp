#include "hw/pim/hbm_timing.hpp"

#include <cmath>
#include <string>

namespace sievesim {

HbmOrg read_hbm_org(const Params& p) {
  HbmOrg o;
  o.stacks =
      p.param<std::int64_t>("stacks").min(1).max(64).desc("HBM-PIM stacks per GPU").required();
  o.channels =
      p.param<std::int64_t>("channels").min(1).max(256).desc("channels per stack").required();
  o.pseudo_channels = p.param<std::int64_t>("pseudo_channels")
                          .min(1)
                          .max(8)
                          .desc("pseudo-channels per channel")
                          .required();
  o.stack_ids = p.param<std::int64_t>("stack_ids")
                    .min(1)
                    .max(16)
                    .desc("stack IDs (ranks) per pseudo-channel: 2 in an 8-high stack")
                    .required();
  o.bank_groups = p.param<std::int64_t>("bank_groups")
                      .min(1)
                      .max(64)
                      .desc("bank groups per stack ID")
                      .required();
  o.banks = p.param<std::int64_t>("banks_per_group")
                .min(1)
                .max(64)
                .desc("banks per bank group")
                .required();
  o.row_bytes = p.param<std::int64_t>("row_bytes")
                    .min(32)
                    .max(1 << 16)
                    .desc("bytes of one bank's row (page); a multiple of access_bytes")
                    .required();
  o.access_bytes =
      p.param<std::int64_t>("access_bytes")
          .min(1)
          .max(1024)
          .desc("bytes of one column access (burst) of one bank: the granule a MAC reads")
          .required();
  o.pin_gbps =
      p.param<double>("pin_gbps").above(0).max(100).desc("data rate per pin, Gb/s").required();
  o.channel_bits =
      p.param<std::int64_t>("channel_bits")
          .min(8)
          .max(4096)
          .desc("data bits of a (legacy) channel: with pin_gbps, the external bandwidth")
          .required();
  o.capacity_bytes_per_stack = p.param<double>("capacity_GB_per_stack")
                                   .above(0)
                                   .desc("capacity of one stack, GB")
                                   .required() *
                               1e9;
  if (o.row_bytes % o.access_bytes != 0)
    p.fail("row_bytes", "expected a multiple of access_bytes (" + std::to_string(o.access_bytes) +
                            "), got " + std::to_string(o.row_bytes));
  return o;
}

HbmTiming read_hbm_timing(const Params& p, const HbmOrg& org) {
  HbmTiming t;
  // QDR data pins: one clock carries four bits per pin (as AttAcc's HBM3 model defines tCK).
  t.tck_ns = p.param<double>("tck_ns")
                 .above(0)
                 .desc(
                     "clock period, ns: the unit every _tck timing counts and _ns timings round "
                     "up to")
                 .default_text("4 / pin_gbps")
                 .dflt(4.0 / org.pin_gbps);
  // Whole cycles, rounded up; the 1% slack lets a preset write 14.6 ns for 19 x 0.769 ns.
  auto cycles = [&](const char* key, const std::string& what) {
    const double ns =
        p.param<double>(key).min(0).desc(what + ", ns (rounded up to whole tCK)").required();
    return static_cast<std::int64_t>(std::ceil(ns / t.tck_ns - 0.01));
  };
  auto clocks = [&](const char* key, const std::string& what) {
    return p.param<std::int64_t>(key).min(1).max(1024).desc(what + ", tCK").required();
  };
  t.rcd = cycles("tRCD_ns", "activation to the first column command (MAC, read)");
  t.rp = cycles("tRP_ns", "precharge to the next activation of the bank");
  t.ras = cycles("tRAS_ns", "activation to precharge");
  t.rc = cycles("tRC_ns", "activation to the next activation of the bank");
  t.rtp = cycles("tRTP_ns", "last column command (MAC, read) to precharge");
  t.cl = cycles("tCL_ns", "read latency: column command to data");
  t.faw = cycles("tFAW_ns", "window holding at most four activations");
  t.refi = cycles("tREFI_ns", "interval between all-bank refreshes");
  t.rfc = cycles("tRFC_ns", "duration of an all-bank refresh (the PIM stops)");
  t.ccd_s = clocks("tCCD_S_tck", "column command to column command, other bank group");
  t.ccd_l = clocks("tCCD_L_tck",
                   "column command to column command, same bank group (also the MAC interval "
                   "without the power limit)");
  t.rrd_s = clocks("tRRD_S_tck", "activation to activation, other bank group");
  t.rrd_l = clocks("tRRD_L_tck", "activation to activation, same bank group");
  t.bl = clocks("tBL_tck", "burst on the data bus");
  return t;
}

}  // namespace sievesim
