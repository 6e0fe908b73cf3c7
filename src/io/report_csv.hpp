#pragma once
// CSV export of the report tables (`sievesim report --csv DIR`).
#include <string>
#include <utility>
#include <vector>

#include "io/report_tables.hpp"

namespace sievesim {

struct ReportedRun {
  RunRow row;
  Breakdown breakdown;
  std::vector<std::pair<std::string, std::string>> faults;  // report_faults.hpp (none: no faults)
  // Baseline run of the same comparison group (same model, nodes, sweep key and point), or null.
  const RunRow* baseline = nullptr;
};

// Writes DIR/summary.csv (one row per run, every /summary figure), DIR/phases.csv (mean per
// node-layer), DIR/layers.csv (mean per layer index) and DIR/compare.csv (baseline ratios).
// Creates DIR; throws InputError naming the file when one cannot be written.
void write_report_csv(const std::string& dir, const std::vector<ReportedRun>& runs);

}  // namespace sievesim
