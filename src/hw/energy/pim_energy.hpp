#pragma once
// Energy of the PIM's commands (docs/energy.md). Every command the time model issues has a price,
// so the energy of a GEMV is the sum over its command sequence: each channel's commands times the
// channels that ran them. Prices follow AttAcc's energy table (scale-snu/attacc_simulator,
// src/config.py), which takes the per-bit costs of each stage of an HBM access from Fine-Grained
// DRAM (O'Connor et al., MICRO 2017): where the PIM unit sits decides which stages a MAC's read
// crosses.
#include <cstdint>

#include "base/params.hpp"

namespace sievesim {

struct PimCommands;

// What one command of each kind touches, per channel, as the PIM implementation defines it.
struct PimCommandShape {
  std::int64_t banks_per_activate = 1;  // banks one activation opens (64 for an all-bank ACT)
  std::int64_t banks_per_mac = 1;       // banks (units) one MAC command reads from
  std::int64_t row_bytes = 0;           // bytes of one bank's row
  std::int64_t access_bytes = 0;        // bytes one bank delivers per MAC / column access
  std::int64_t stacks = 0, channels_per_stack = 0;
  double capacity_bytes_per_stack = 0;
  double refresh_interval_ps = 0;  // tREFI: one all-bank refresh per channel per interval
};

// The price of one command of each kind on one channel, pJ.
struct PimCommandEnergy {
  double activate_pj = 0;     // activation + its precharge (the pair's energy, FGDRAM's ACT/PRE)
  double precharge_pj = 0;    // counted with the activation
  double mac_pj = 0;          // reading the granules of every unit the MAC addresses
  double mac_vector_pj = 0;   // the arithmetic of one MAC command against one input vector
  double write_input_pj = 0;  // one granule from the host into the PIM buffers
  double read_output_pj = 0;  // one granule of results back to the host
  double refresh_pj = 0;      // one all-bank refresh of one channel
};

class PimEnergy {
 public:
  // Reads the `energy` section of a PIM preset.
  PimEnergy(const Params& p, const PimCommandShape& shape);
  const PimCommandEnergy& per_command() const { return e_; }
  // One channel's command sequence.
  double commands_pj(const PimCommands& c) const;
  // Refresh goes on whether or not the PIM computes: the stack's background power from it, W.
  double refresh_W_per_stack() const;
  const PimCommandShape& shape() const { return shape_; }

 private:
  PimCommandShape shape_;
  PimCommandEnergy e_;
};

}  // namespace sievesim
