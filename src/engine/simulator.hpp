#pragma once
// Runs an assembled system for the nodes of this rank, in lockstep with the other ranks: per MoE
// layer, one dispatch and one combine all-to-all; nothing else synchronizes ranks per layer.
// The run has three steps: setup (nodes take their schedulers, the front end hands out the first
// requests), the iteration loop, and finalize (rows collected, totals and the summary reduced
// over ranks). Writing the results is the caller's step (io/h5_writer.hpp).
#include <mpi.h>

#include <functional>
#include <memory>

#include "engine/results.hpp"
#include "engine/system.hpp"
#include "mpi/rank_map.hpp"

namespace sievesim {

struct Progress {
  std::int64_t iterations_done = 0, iterations_limit = 0;  // limit 0: none
  std::int64_t requests_finished = 0, requests_total = 0;
  sim_time_t sim_time_ps = 0;  // the latest node clock
};

class Simulator {
 public:
  // `sys` must have been assembled for this rank's nodes (NodeRange of `ranks`); the run
  // consumes its schedulers, request stream and assignment, so a system serves one run.
  Simulator(System& sys, const RankMap& ranks, MPI_Comm comm);
  ~Simulator();
  // Runs iterations until every request has finished (or workload.max_iterations). `progress`
  // (may be empty) is called on every rank after each iteration. The returned layer, iteration
  // and request rows are this rank's nodes'; the summary and per-iteration totals are global.
  RankResults run(const std::function<void(const Progress&)>& progress = {});

  std::uint64_t exchanges() const { return exchanges_; }

 private:
  struct Run;  // the state of one run (simulator.cpp)
  System& sys_;
  RankMap ranks_;
  MPI_Comm comm_;
  std::uint64_t exchanges_ = 0;
};

// Global per-iteration rows (min start, max end, summed counts over all nodes), returned on
// every rank; one MPI reduction.
std::vector<IterationRow> reduce_iterations(const std::vector<IterationRow>& local,
                                            std::int64_t iterations, MPI_Comm comm);

}  // namespace sievesim
