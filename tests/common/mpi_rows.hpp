#pragma once
// Test helper: every rank's result rows (plain structs) on every rank.
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/results.hpp"
#include "engine/simulator.hpp"
#include "engine/system.hpp"

namespace sievesim::test {

inline int world_size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// All ranks' rows on every rank, sorted by `key`.
template <class Row, class Key>
std::vector<Row> gather_all(const std::vector<Row>& mine, Key key) {
  const int size = world_size();
  const int bytes = static_cast<int>(mine.size() * sizeof(Row));
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  MPI_Allgather(&bytes, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  int total = 0;
  for (int i = 0; i < size; ++i)
    displs[static_cast<std::size_t>(i)] = total, total += counts[static_cast<std::size_t>(i)];
  std::vector<Row> all(static_cast<std::size_t>(total) / sizeof(Row));
  MPI_Allgatherv(mine.data(), bytes, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE,
                 MPI_COMM_WORLD);
  std::sort(all.begin(), all.end(), [&](const Row& a, const Row& b) { return key(a) < key(b); });
  return all;
}

// A layer row's values in /layers' column order, to compare whole rows.
inline std::vector<std::int64_t> layer_values(const LayerRow& r) {
  std::vector<std::int64_t> v;
  for (const auto& c : layer_columns()) v.push_back(c.get(r));
  return v;
}

// The experiment `x` was assembled from, assembled again (a system serves one run) and run
// with every node on this rank alone.
inline RankResults run_alone(const System& x) {
  auto again = System::assemble(x.cfg.file, x.cfg.overrides);
  Simulator solo(*again, RankMap(x.cfg.nodes, 1, x.cfg.nodes), MPI_COMM_SELF);
  return solo.run();
}

}  // namespace sievesim::test
