#pragma once
// HBM organization and timing, as a PIM preset states them. Row timings are given in ns (the
// physics does not change with the pin rate: HBM3E keeps HBM3's ns values, per hardware.md) and
// converted to whole clock cycles of this part, rounded up as a memory controller must.
#include <cmath>
#include <cstdint>

#include "base/params.hpp"
#include "base/time.hpp"
#include "hw/energy/pim_energy.hpp"

namespace sievesim {

struct HbmOrg {
  std::int64_t stacks = 0;
  std::int64_t channels = 0;         // per stack
  std::int64_t pseudo_channels = 0;  // per channel
  std::int64_t stack_ids = 0;        // ranks (SIDs) per pseudo-channel: 2 in an 8-high stack
  std::int64_t bank_groups = 0;      // per stack-ID
  std::int64_t banks = 0;            // per bank group
  std::int64_t row_bytes = 0;        // page size of one bank
  std::int64_t access_bytes = 0;     // one column access (burst) of one bank
  double pin_gbps = 0;               // data rate per pin
  std::int64_t channel_bits = 0;     // legacy channel width
  double capacity_bytes_per_stack = 0;

  std::int64_t banks_per_channel() const {
    return pseudo_channels * stack_ids * bank_groups * banks;
  }
  std::int64_t total_channels() const { return stacks * channels; }
  double external_Bps_per_stack() const {
    return static_cast<double>(channels * channel_bits) / 8.0 * pin_gbps * 1e9;
  }
};

// Timings in whole clock cycles (tCK) of this part.
struct HbmTiming {
  double tck_ns = 0;
  std::int64_t rcd = 0, rp = 0, ras = 0, rc = 0, rtp = 0, cl = 0;
  std::int64_t ccd_s = 0, ccd_l = 0, rrd_s = 0, rrd_l = 0, faw = 0, bl = 0;
  std::int64_t refi = 0, rfc = 0;
  sim_time_t ps(std::int64_t cycles) const {
    return static_cast<sim_time_t>(std::llround(static_cast<double>(cycles) * tck_ns * 1000.0));
  }
};

// What one command touches, for a part whose activations open `banks_per_activate` banks of a
// channel and whose MACs read `banks_per_mac` (hw/energy/pim_energy.hpp prices it).
inline PimCommandShape command_shape(const HbmOrg& o, const HbmTiming& t,
                                     std::int64_t banks_per_activate, std::int64_t banks_per_mac) {
  return {banks_per_activate,
          banks_per_mac,
          o.row_bytes,
          o.access_bytes,
          o.stacks,
          o.channels,
          o.capacity_bytes_per_stack,
          static_cast<double>(t.ps(t.refi))};
}

HbmOrg read_hbm_org(const Params& p);
HbmTiming read_hbm_timing(const Params& p, const HbmOrg& org);

}  // namespace sievesim
