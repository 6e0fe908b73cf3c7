#pragma once
// Runs the experiment for the nodes of this rank, in lockstep with the other ranks: per MoE
// layer, one dispatch and one combine all-to-all; nothing else synchronizes ranks per layer.
#include <mpi.h>

#include <functional>

#include "config/experiment.hpp"
#include "engine/results.hpp"
#include "mpi/rank_map.hpp"

namespace sievesim {

struct Progress {
  std::int64_t iterations_done = 0, iterations_limit = 0;  // limit 0: none
  std::int64_t requests_finished = 0, requests_total = 0;
};

class Simulator {
 public:
  Simulator(const Experiment& x, const RankMap& ranks, MPI_Comm comm);
  // Runs iterations until every request has finished (or workload.max_iterations). `progress`
  // (may be empty) is called on every rank after each iteration. The returned layer, iteration
  // and request rows are this rank's nodes'; the summary and per-iteration totals are global.
  RankResults run(const std::function<void(const Progress&)>& progress = {});

  std::uint64_t exchanges() const { return exchanges_; }

 private:
  const Experiment& x_;
  RankMap ranks_;
  MPI_Comm comm_;
  std::uint64_t exchanges_ = 0;
};

// Global per-iteration rows (min start, max end, summed counts over all nodes), returned on
// every rank; one MPI reduction.
std::vector<IterationRow> reduce_iterations(const std::vector<IterationRow>& local,
                                            std::int64_t iterations, MPI_Comm comm);

}  // namespace sievesim
