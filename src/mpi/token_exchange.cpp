#include "mpi/token_exchange.hpp"

#include <stdexcept>

namespace sievesim {
namespace {
void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI failure in ") + what);
}
}  // namespace

TokenExchange::TokenExchange(MPI_Comm comm) : comm_(comm) {
  check(MPI_Comm_size(comm_, &ranks_), "MPI_Comm_size");
  // The cluster is homogeneous (one build on every rank), so a record is plain bytes.
  check(MPI_Type_contiguous(sizeof(TokenRecord), MPI_BYTE, &record_type_), "MPI_Type_contiguous");
  check(MPI_Type_commit(&record_type_), "MPI_Type_commit");
  recv_counts_.resize(ranks_);
  send_displs_.resize(ranks_);
  recv_displs_.resize(ranks_);
}

TokenExchange::~TokenExchange() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Type_free(&record_type_);
}

void TokenExchange::exchange(std::vector<TokenRecord>& out, const std::vector<int>& counts,
                             std::vector<TokenRecord>& in) {
  if (ranks_ == 1) {
    // Every unit is for this rank: a swap does what MPI_Alltoallv to self does, without a copy.
    if (counts.size() != 1 || static_cast<std::size_t>(counts[0]) != out.size())
      throw std::logic_error("TokenExchange: counts do not add up to the records given");
    records_sent_ += out.size();
    ++calls_;
    in.swap(out);
    return;
  }
  check(MPI_Alltoall(counts.data(), 1, MPI_INT, recv_counts_.data(), 1, MPI_INT, comm_),
        "MPI_Alltoall");
  int s = 0, r = 0;
  for (int i = 0; i < ranks_; ++i) {
    send_displs_[i] = s;
    recv_displs_[i] = r;
    s += counts[i];
    r += recv_counts_[i];
  }
  if (static_cast<std::size_t>(s) != out.size())
    throw std::logic_error("TokenExchange: counts do not add up to the records given");
  in.resize(static_cast<std::size_t>(r));
  check(MPI_Alltoallv(out.data(), counts.data(), send_displs_.data(), record_type_, in.data(),
                      recv_counts_.data(), recv_displs_.data(), record_type_, comm_),
        "MPI_Alltoallv");
  records_sent_ += out.size();
  ++calls_;
}

}  // namespace sievesim
