#pragma once
// `report`'s lines on a run with simulated faults (/faults): each failure and rejoin, when
// serving resumed, and when the throughput was back to 95% of what it was before the failure.
#include <hdf5.h>

#include <string>
#include <utility>
#include <vector>

namespace sievesim {

// (label, value) lines for the run group `run`; none when it has no /faults table.
std::vector<std::pair<std::string, std::string>> fault_lines(hid_t run);

}  // namespace sievesim
