#pragma once
// Which rank hosts which simulated node: rank r hosts the contiguous block of nodes
// [r * nodes_per_rank, (r + 1) * nodes_per_rank). Nothing else may depend on this map: the
// simulated results must be identical for every (ranks, nodes_per_rank) with the same nodes.
#include <cstdint>
#include <string>

namespace sievesim {

class RankMap {
 public:
  RankMap() = default;
  RankMap(std::int64_t nodes, int ranks, std::int64_t nodes_per_rank)
      : nodes_(nodes), ranks_(ranks), per_rank_(nodes_per_rank) {}

  // nodes_per_rank <= 0 means "as many as needed": nodes / ranks. Returns an error text (empty
  // when the layout is valid).
  static std::string validate(std::int64_t nodes, int ranks, std::int64_t& nodes_per_rank) {
    if (nodes_per_rank <= 0) {
      if (nodes % ranks != 0)
        return std::to_string(nodes) + " nodes cannot be spread evenly over " +
               std::to_string(ranks) + " MPI ranks";
      nodes_per_rank = nodes / ranks;
    }
    if (nodes_per_rank > nodes || static_cast<std::int64_t>(ranks) * nodes_per_rank != nodes)
      return std::to_string(nodes) + " nodes do not equal " + std::to_string(ranks) +
             " MPI ranks x " + std::to_string(nodes_per_rank) + " nodes per rank";
    return {};
  }

  int rank_of(std::int64_t node) const { return static_cast<int>(node / per_rank_); }
  std::int64_t first_node(int rank) const { return rank * per_rank_; }
  std::int64_t nodes_per_rank() const { return per_rank_; }
  std::int64_t nodes() const { return nodes_; }
  int ranks() const { return ranks_; }

 private:
  std::int64_t nodes_ = 1;
  int ranks_ = 1;
  std::int64_t per_rank_ = 1;
};

}  // namespace sievesim
