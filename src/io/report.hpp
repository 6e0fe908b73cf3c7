#pragma once
// `sievesim report`: the summary and a per-phase time breakdown of a result file.
#include <ostream>
#include <string>

namespace sievesim {

// Reads `path` (a sievesim HDF5 result) and prints the report. Throws InputError when the file
// is missing or not a sievesim result.
void print_report(const std::string& path, std::ostream& out);

}  // namespace sievesim
