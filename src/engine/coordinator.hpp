#pragma once
// The global coordinator (DESIGN §6): counts the tokens every (layer, expert) receives, reduces
// the counts over ranks every `rebalance_every` iterations, asks the placement policy for a new
// placement, and simulates the weights' migration over the cluster's links — the whole cluster
// stalls while they move, or they move in the background on a share of the link bandwidth and
// the new placement takes effect when they have arrived. Every rank runs the same coordinator on
// the same reduced numbers, so placements do not depend on the rank layout.
#include <mpi.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/results.hpp"
#include "engine/system.hpp"
#include "mpi/token_record.hpp"

namespace sievesim {

class Coordinator {
 public:
  explicit Coordinator(const System& sys);
  bool counting() const { return sys_.cfg.rebalance.every_iterations > 0; }
  // The (token, expert) pairs of one MoE layer's dispatch from this rank's nodes (`counted`:
  // the count engine's records, each standing for `slot` tokens).
  void count(std::int64_t layer, std::span<const TokenRecord> recs, bool counted = false);
  // At the boundary after `iteration` (collective). `now_ps`: the latest node clock. May replace
  // `current`; returns the time every node must wait until (a stalling migration), if any.
  std::optional<sim_time_t> step(std::int64_t iteration, sim_time_t now_ps, ExpertMap& current,
                                 MPI_Comm comm);
  const std::vector<PlacementRow>& rows() const { return rows_; }
  // Bytes moved and the time the moves take on the links, from `from` to `to`. A copy whose
  // expert has no holder in `from` (its last one failed) is reloaded from host memory at
  // `reload_Bps` into its new node.
  PlacementRow plan_migration(const ExpertMap& from, const ExpertMap& to,
                              double reload_Bps = 0) const;

 private:
  const System& sys_;
  const Topology& topo_;
  std::vector<double> window_;            // tokens per (layer, expert) since the last rebalance
  std::vector<std::int64_t> max_copies_;  // per node: the expert slots HBM was set aside for
  std::optional<ExpertMap> pending_;      // background migration in flight
  sim_time_t pending_at_ps_ = 0;
  std::vector<PlacementRow> rows_;
};

}  // namespace sievesim
