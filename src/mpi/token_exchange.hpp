#pragma once
// The all-to-all of the record stream (mpi/message_stream.hpp): a real MPI_Alltoallv
// (Boost.MPI 1.74 has no variable-count all-to-all, and would serialize).
#include <mpi.h>

#include <vector>

#include "mpi/token_record.hpp"

namespace sievesim {

class TokenExchange {
 public:
  explicit TokenExchange(MPI_Comm comm);
  ~TokenExchange();
  TokenExchange(const TokenExchange&) = delete;
  TokenExchange& operator=(const TokenExchange&) = delete;

  // `out` must be grouped by destination rank (ascending) with `counts[r]` units for rank r.
  // `in` receives the units sent to this rank, grouped by source rank (ascending). `out` is
  // left unspecified (on one rank the two buffers are swapped instead of copied).
  void exchange(std::vector<TokenRecord>& out, const std::vector<int>& counts,
                std::vector<TokenRecord>& in);

  std::uint64_t records_sent() const { return records_sent_; }
  std::uint64_t calls() const { return calls_; }

 private:
  MPI_Comm comm_;
  MPI_Datatype record_type_;
  int ranks_ = 1;
  std::vector<int> recv_counts_, send_displs_, recv_displs_;
  std::uint64_t records_sent_ = 0, calls_ = 0;
};

}  // namespace sievesim
