#pragma once
// `sievesim report`: the summary, the per-phase breakdown and the per-layer GPU/PIM split of one
// or several result files, a merged comparison over the runs of several files, CSV export.
#include <ostream>
#include <string>
#include <vector>

namespace sievesim {

struct ReportOptions {
  std::string baseline;    // scheduler the ratios are taken against; empty: the file's own
  std::string csv_dir;     // empty: no CSV; else summary/phases/layers/compare.csv written there
  bool per_layer = false;  // print the per-layer split table of every run
};

// Reads every file (sievesim HDF5 results) and prints the report. Throws InputError when a file
// is missing or not a sievesim result, or the baseline names no run.
void print_reports(const std::vector<std::string>& paths, const ReportOptions& options,
                   std::ostream& out);
inline void print_report(const std::string& path, std::ostream& out) {
  print_reports({path}, {}, out);
}

}  // namespace sievesim
