#pragma once
// The tables `sievesim report` prints for files with several runs: a scheduler comparison, and
// a sweep (Pareto front per scheduler, ratios of the baseline over the others).
#include <hdf5.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace sievesim {

struct RunRow {
  std::string scheduler, sweep_value;
  double throughput = 0, interactivity = 0, tpot_us = 0;
  double ttft_p50_ms = 0, tpot_p50_ms = 0;  // negative: nothing measured
  std::int64_t finished = 0, requests = 0;
};

// printf of one number into a string.
std::string fmt(const char* format, double v);

// The headline figures of the run stored in group `run` (one of /runs/*).
RunRow read_run_row(hid_t run);
void print_comparison(const std::vector<RunRow>& rows, const std::string& baseline,
                      std::ostream& out);
void print_sweep(const std::vector<RunRow>& rows, const std::string& key,
                 const std::string& baseline, std::ostream& out);

}  // namespace sievesim
