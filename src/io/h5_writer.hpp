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

struct RunInfo {
  std::string command_line;
  std::string date_utc;  // ISO 8601, taken on rank 0
  int ranks = 1;
  std::int64_t nodes_per_rank = 1;
  double wall_time_s = 0;
};

// Collective: every rank calls it with its own rows. `iterations` are the global rows (identical
// on every rank; rank 0 writes them).
void write_results(const std::string& path, const Experiment& x, const RankResults& res,
                   const std::vector<IterationRow>& iterations, const RunInfo& info, MPI_Comm comm);

}  // namespace sievesim
