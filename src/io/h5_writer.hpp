#pragma once
// Writes one run's results into one HDF5 file with parallel HDF5 and collective I/O: every rank
// writes its nodes' rows. The file is written under `<path>.partial` and renamed at the end, so a
// failed run leaves nothing under the final name and a killed one leaves a clearly partial file.
#include <mpi.h>

#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "engine/results.hpp"

namespace sievesim {

// One simulated run to store: its experiment, this rank's rows, the global iteration rows.
struct RunOutput {
  std::string name;  // the scheduler
  const Experiment* experiment = nullptr;
  RankResults results;
  std::vector<IterationRow> iterations;
};

struct RunInfo {
  std::string command_line;
  std::string date_utc;  // ISO 8601, taken on rank 0
  int ranks = 1;
  std::int64_t nodes_per_rank = 1;
  double wall_time_s = 0;
  std::string baseline;  // comparisons: the scheduler ratios are taken against
};

// Collective: every rank calls it with its own rows (the iteration rows are global, identical on
// every rank; rank 0 writes them). One run: its tables at the root (schema of README). Several
// (a scheduler comparison): one group per run under /runs.
void write_results(const std::string& path, const std::vector<RunOutput>& runs, const RunInfo& info,
                   MPI_Comm comm);

}  // namespace sievesim
