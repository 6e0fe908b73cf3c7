#pragma once
// Opening a result file for reading, with the checks every reader needs: the file exists, is
// HDF5, was written by sievesim, and in the schema this binary reads.
#include <string>
#include <vector>

#include "base/h5_util.hpp"

namespace sievesim {

// Throws InputError naming `path` (and the attribute at fault) when the file cannot be read as a
// result of this sievesim.
h5::Handle open_result_file(const std::string& path);

// The names of the runs under /runs (`runs`: that group), in the order they were written.
std::vector<std::string> run_names(hid_t runs);

}  // namespace sievesim
