#pragma once
// Every rank's int64 words, concatenated in rank order, on every rank (MPI_Allgatherv).
#include <mpi.h>

#include <cstdint>
#include <vector>

namespace sievesim {

inline std::vector<std::int64_t> allgather_words(const std::vector<std::int64_t>& mine,
                                                 MPI_Comm comm) {
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const int count = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<std::size_t>(ranks)), displs(static_cast<std::size_t>(ranks));
  MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
  int total = 0;
  for (int i = 0; i < ranks; ++i)
    displs[static_cast<std::size_t>(i)] = total, total += counts[static_cast<std::size_t>(i)];
  std::vector<std::int64_t> all(static_cast<std::size_t>(total));
  MPI_Allgatherv(mine.data(), count, MPI_INT64_T, all.data(), counts.data(), displs.data(),
                 MPI_INT64_T, comm);
  return all;
}

}  // namespace sievesim
