// The floor under the simulator's per-layer wall time: a bare MPI_Alltoallv with the message sizes
// the simulator exchanges, on the same ranks. Every MoE layer of the simulator does two exchanges
// of its record stream (mpi/message_stream.hpp, mpi/token_exchange.cpp): the dispatch (one
// message per pair of nodes, a MessageHeader and one TokenRecord per (token, selected expert))
// and the combine (the same records sent back), each an MPI_Alltoall of the counts followed by an
// MPI_Alltoallv of the stream. Nothing but these calls runs here: fixed buffers, no routing, no
// simulation. Every node is assumed to send to every node (true at 256 tokens x top-10 on 8
// nodes), so each exchange carries nodes x nodes headers.
//
//   mpirun -np R build/bench/sievesim_bench_alltoall [--nodes 8] [--tokens-per-node 256]
//          [--top-k 10] [--layers 60] [--iterations 4] [--reps 3]
//
// Message sizes: rank r hosts nodes/R nodes, so it sends nodes/R * tokens * top_k records per
// exchange. They are spread over the destination ranks in proportion to the nodes each hosts:
// the synthetic sources draw each layer's popularity over a random permutation of the experts,
// so every node's expected share is equal (a given layer is skewed, the mean is not).
// Prints one line of key=value pairs (bench/sim_speed.sh reads it).
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mpi/token_record.hpp"

namespace {

struct Options {
  std::int64_t nodes = 8, tokens_per_node = 256, top_k = 10, layers = 60, iterations = 4, reps = 3;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::int64_t v = std::atoll(argv[i + 1]);
    if (k == "--nodes")
      o.nodes = v;
    else if (k == "--tokens-per-node")
      o.tokens_per_node = v;
    else if (k == "--top-k")
      o.top_k = v;
    else if (k == "--layers")
      o.layers = v;
    else if (k == "--iterations")
      o.iterations = v;
    else if (k == "--reps")
      o.reps = v;
    else {
      std::fprintf(stderr, "alltoall_floor: unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return o;
}

// Seconds for `calls` exchanges, the slowest rank's (an exchange is done when every rank is).
template <class Fn>
double timed(MPI_Comm comm, std::int64_t calls, Fn exchange) {
  MPI_Barrier(comm);
  const double t0 = MPI_Wtime();
  for (std::int64_t c = 0; c < calls; ++c) exchange();
  double dt = MPI_Wtime() - t0, worst = 0;
  MPI_Allreduce(&dt, &worst, 1, MPI_DOUBLE, MPI_MAX, comm);
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const Options o = parse(argc, argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (o.nodes % ranks != 0) {
    if (rank == 0)
      std::fprintf(stderr, "alltoall_floor: %lld nodes over %d ranks\n",
                   static_cast<long long>(o.nodes), ranks);
    MPI_Finalize();
    return 2;
  }
  const std::int64_t nodes_per_rank = o.nodes / ranks;
  // Units (TokenRecord-sized) a rank sends per exchange: its pairs plus one header per message.
  const std::int64_t records =
      nodes_per_rank * o.tokens_per_node * o.top_k +
      nodes_per_rank * o.nodes * static_cast<std::int64_t>(sievesim::kHeaderUnits);

  // The records a rank sends, split over destinations in proportion to their nodes (equal here);
  // the remainder goes one each to the first ranks so the total is exact.
  std::vector<int> send_counts(static_cast<std::size_t>(ranks)), recv_counts(send_counts.size());
  std::vector<int> send_displs(send_counts.size()), recv_displs(send_counts.size());
  for (int d = 0; d < ranks; ++d)
    send_counts[static_cast<std::size_t>(d)] =
        static_cast<int>(records / ranks + (d < records % ranks ? 1 : 0));
  MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  int s = 0, r = 0;
  for (std::size_t d = 0; d < send_counts.size(); ++d) {
    send_displs[d] = s, recv_displs[d] = r;
    s += send_counts[d], r += recv_counts[d];
  }
  MPI_Datatype record;  // as the simulator sends them: plain bytes of a TokenRecord
  MPI_Type_contiguous(sizeof(sievesim::TokenRecord), MPI_BYTE, &record);
  MPI_Type_commit(&record);
  std::vector<sievesim::TokenRecord> out(static_cast<std::size_t>(s)),
      in(static_cast<std::size_t>(r));
  for (std::size_t i = 0; i < out.size(); ++i) out[i].slot = static_cast<std::int32_t>(i);

  auto alltoallv = [&] {
    MPI_Alltoallv(out.data(), send_counts.data(), send_displs.data(), record, in.data(),
                  recv_counts.data(), recv_displs.data(), record, MPI_COMM_WORLD);
  };
  // What TokenExchange::exchange does per call: the counts first, then the records.
  std::vector<int> counts_in(send_counts.size());
  auto with_counts = [&] {
    MPI_Alltoall(send_counts.data(), 1, MPI_INT, counts_in.data(), 1, MPI_INT, MPI_COMM_WORLD);
    alltoallv();
  };
  // Two exchanges per MoE layer (dispatch and combine), `layers` per iteration.
  const std::int64_t calls = 2 * o.layers * o.iterations;
  timed(MPI_COMM_WORLD, std::min<std::int64_t>(calls, 16), alltoallv);  // warm the transport
  double best_v = 1e300, best_c = 1e300;
  for (std::int64_t rep = 0; rep < o.reps; ++rep) {
    best_v = std::min(best_v, timed(MPI_COMM_WORLD, calls, alltoallv));
    best_c = std::min(best_c, timed(MPI_COMM_WORLD, calls, with_counts));
  }
  if (rank == 0) {
    const double per_call_us = best_v / static_cast<double>(calls) * 1e6;
    const double per_call_counts_us = best_c / static_cast<double>(calls) * 1e6;
    std::printf(
        "floor ranks=%d nodes=%lld nodes_per_rank=%lld units_per_rank=%lld "
        "bytes_per_rank=%lld calls=%lld alltoallv_us=%.2f per_layer_us=%.2f "
        "with_counts_us=%.2f per_layer_with_counts_us=%.2f\n",
        ranks, static_cast<long long>(o.nodes), static_cast<long long>(nodes_per_rank),
        static_cast<long long>(records),
        static_cast<long long>(records * static_cast<std::int64_t>(sizeof(sievesim::TokenRecord))),
        static_cast<long long>(calls), per_call_us, 2 * per_call_us, per_call_counts_us,
        2 * per_call_counts_us);
  }
  MPI_Type_free(&record);
  MPI_Finalize();
  return 0;
}
