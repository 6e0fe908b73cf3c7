#include "engine/simulator.hpp"

#include <algorithm>

#include "engine/node.hpp"
#include "engine/op_costs.hpp"
#include "engine/ports.hpp"
#include "mpi/token_exchange.hpp"

namespace sievesim {
namespace {

// Stable counting sort of `recs` into `buckets` buckets: O(n), and records of one bucket keep
// their order, which is their sender's emission order.
template <class BucketFn>
void bucket_sort(std::vector<TokenRecord>& recs, std::int64_t buckets, BucketFn bucket,
                 std::vector<TokenRecord>& scratch, std::vector<std::size_t>& start) {
  start.assign(static_cast<std::size_t>(buckets) + 1, 0);
  for (const auto& r : recs) ++start[static_cast<std::size_t>(bucket(r)) + 1];
  for (std::size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
  scratch.resize(recs.size());
  for (const auto& r : recs) scratch[start[static_cast<std::size_t>(bucket(r))]++] = r;
  recs.swap(scratch);
}

// Groups records by destination rank (stable) and counts them per rank.
template <class KeyFn>
std::vector<int> group_for_exchange(std::vector<TokenRecord>& recs, KeyFn key, const RankMap& rm,
                                    std::vector<TokenRecord>& scratch,
                                    std::vector<std::size_t>& start) {
  bucket_sort(
      recs, rm.ranks(), [&](const TokenRecord& r) { return rm.rank_of(key(r)); }, scratch, start);
  std::vector<int> counts(static_cast<std::size_t>(rm.ranks()), 0);
  for (const auto& r : recs) ++counts[static_cast<std::size_t>(rm.rank_of(key(r)))];
  return counts;
}

// Orders received records by (the node they are for, the node they come from), keeping each
// sender's order within, and calls fn(local node index, its records). Nothing here depends on
// how the nodes are spread over ranks.
template <class KeyFn, class OtherFn, class Fn>
void per_local_node(std::vector<TokenRecord>& recs, KeyFn key, OtherFn other, std::int64_t nodes,
                    std::int64_t first_node, std::size_t local_nodes,
                    std::vector<TokenRecord>& scratch, std::vector<std::size_t>& start, Fn fn) {
  bucket_sort(recs, nodes, other, scratch, start);
  bucket_sort(recs, nodes, key, scratch, start);
  std::size_t b = 0;
  for (std::size_t n = 0; n < local_nodes; ++n) {
    const auto node = first_node + static_cast<std::int64_t>(n);
    std::size_t e = b;
    while (e < recs.size() && key(recs[e]) == node) ++e;
    fn(n, std::span<const TokenRecord>(recs.data() + b, e - b));
    b = e;
  }
  if (b != recs.size()) throw SimulationError("received records for a node of another rank");
}

}  // namespace

Simulator::Simulator(const Experiment& x, const RankMap& ranks, MPI_Comm comm)
    : x_(x), ranks_(ranks), comm_(comm) {}

RankResults Simulator::run(const std::function<void(const Progress&)>& progress) {
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  const Topology topo(x_.gpus_per_server, *x_.scale_up, *x_.scale_out, x_.gpu->hbm_bandwidth_Bps());
  const OpCosts costs(x_.model, *x_.gpu, *x_.pim);
  const EngineContext ctx{x_, topo, costs, x_.expert_map};

  const std::int64_t first = ranks_.first_node(rank);
  std::vector<Node> nodes;
  nodes.reserve(static_cast<std::size_t>(ranks_.nodes_per_rank()));
  for (std::int64_t n = 0; n < ranks_.nodes_per_rank(); ++n)
    nodes.emplace_back(static_cast<std::int32_t>(first + n), x_);

  TokenExchange exchange(comm_);
  auto by_expert_node = [](const TokenRecord& r) {
    return static_cast<std::int64_t>(r.expert_node);
  };
  auto by_home_node = [](const TokenRecord& r) { return static_cast<std::int64_t>(r.home_node); };
  std::vector<TokenRecord> out, in, scratch;
  std::vector<std::size_t> start;
  const auto iterations = x_.workload.iterations;
  for (std::int64_t it = 0; it < iterations; ++it) {
    for (auto& n : nodes) n.begin_iteration(it);
    for (std::int64_t layer = 0; layer < x_.model.num_layers; ++layer) {
      if (!x_.model.layers[static_cast<std::size_t>(layer)].moe) {
        for (auto& n : nodes) n.dense_layer(ctx, layer);
        continue;
      }
      out.clear();
      for (auto& n : nodes) n.dispatch(ctx, layer, out);
      in = exchange.exchange(out, group_for_exchange(out, by_expert_node, ranks_, scratch, start));
      out.clear();
      per_local_node(in, by_expert_node, by_home_node, x_.nodes, first, nodes.size(), scratch,
                     start, [&](std::size_t i, std::span<const TokenRecord> recs) {
                       nodes[i].run_experts(ctx, layer, recs, out);
                     });
      in = exchange.exchange(out, group_for_exchange(out, by_home_node, ranks_, scratch, start));
      per_local_node(in, by_home_node, by_expert_node, x_.nodes, first, nodes.size(), scratch,
                     start, [&](std::size_t i, std::span<const TokenRecord> recs) {
                       nodes[i].combine(ctx, layer, recs);
                     });
    }
    for (auto& n : nodes) n.end_iteration(ctx);
    if (progress) progress(Progress{it + 1, iterations});
  }
  exchanges_ = exchange.calls();

  RankResults res;
  // Output tokens, sum over nodes of the mean iteration time, records dispatched and combined.
  std::int64_t local[4] = {0, 0, 0, 0};
  sim_time_t makespan = 0;
  for (const auto& n : nodes) {
    res.layers.insert(res.layers.end(), n.layer_rows().begin(), n.layer_rows().end());
    res.iterations.insert(res.iterations.end(), n.iteration_rows().begin(),
                          n.iteration_rows().end());
    n.finish(res.requests);
    sim_time_t node_total = 0;
    for (const auto& r : n.iteration_rows()) {
      local[0] += r.decode_tokens;
      node_total += r.end_ps - r.start_ps;
      makespan = std::max(makespan, r.end_ps);
    }
    local[1] += node_total / iterations;  // this node's mean time per token
    local[2] += n.records_dispatched();
    local[3] += n.records_combined();
  }
  std::int64_t global[4];
  MPI_Allreduce(local, global, 4, MPI_INT64_T, MPI_SUM, comm_);
  sim_time_t global_makespan = 0;
  MPI_Allreduce(&makespan, &global_makespan, 1, MPI_INT64_T, MPI_MAX, comm_);
  Summary& s = res.summary;
  s.nodes = x_.nodes;
  s.iterations = iterations;
  s.output_tokens = global[0];
  s.mean_iteration_ps = global[1] / x_.nodes;
  s.records_dispatched = global[2];
  s.records_combined = global[3];
  s.makespan_ps = global_makespan;

  // Per-request latencies of every node, gathered in node order on every rank (the set, and so
  // the percentiles, do not depend on the layout).
  std::vector<sim_time_t> mine;
  for (const auto& r : res.requests) {
    mine.push_back(r.first_token_ps - r.arrival_ps);
    mine.push_back(r.output_tokens > 1 ? (r.finish_ps - r.first_token_ps) / (r.output_tokens - 1)
                                       : -1);
    mine.push_back(r.finish_ps - r.arrival_ps);
  }
  int ranks = 1;
  MPI_Comm_size(comm_, &ranks);
  const int count = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<std::size_t>(ranks)), displs(static_cast<std::size_t>(ranks));
  MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_);
  int total = 0;
  for (int i = 0; i < ranks; ++i)
    displs[static_cast<std::size_t>(i)] = total, total += counts[static_cast<std::size_t>(i)];
  std::vector<sim_time_t> all(static_cast<std::size_t>(total));
  MPI_Allgatherv(mine.data(), count, MPI_INT64_T, all.data(), counts.data(), displs.data(),
                 MPI_INT64_T, comm_);
  std::vector<sim_time_t> ttft, tpot, e2e;
  for (std::size_t i = 0; i + 2 < all.size(); i += 3) {
    ttft.push_back(all[i]);
    if (all[i + 1] >= 0) tpot.push_back(all[i + 1]);
    e2e.push_back(all[i + 2]);
  }
  s.ttft = Percentiles::of(ttft);
  s.tpot = Percentiles::of(tpot);
  s.e2e = Percentiles::of(e2e);
  return res;
}

std::vector<IterationRow> reduce_iterations(const std::vector<IterationRow>& local,
                                            std::int64_t iterations, MPI_Comm comm) {
  const auto n = static_cast<std::size_t>(iterations);
  std::vector<std::int64_t> mins(n, kTimeNever), maxs(n, 0), sums(n * 3, 0);
  for (const auto& r : local) {
    const auto i = static_cast<std::size_t>(r.iteration);
    mins[i] = std::min(mins[i], r.start_ps);
    maxs[i] = std::max(maxs[i], r.end_ps);
    sums[i * 3 + 0] += r.batch;
    sums[i * 3 + 1] += r.prefill_tokens;
    sums[i * 3 + 2] += r.decode_tokens;
  }
  MPI_Allreduce(MPI_IN_PLACE, mins.data(), static_cast<int>(n), MPI_INT64_T, MPI_MIN, comm);
  MPI_Allreduce(MPI_IN_PLACE, maxs.data(), static_cast<int>(n), MPI_INT64_T, MPI_MAX, comm);
  MPI_Allreduce(MPI_IN_PLACE, sums.data(), static_cast<int>(n * 3), MPI_INT64_T, MPI_SUM, comm);
  std::vector<IterationRow> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i].iteration = static_cast<std::int64_t>(i);
    out[i].start_ps = mins[i];
    out[i].end_ps = maxs[i];
    out[i].batch = sums[i * 3 + 0];
    out[i].prefill_tokens = sums[i * 3 + 1];
    out[i].decode_tokens = sums[i * 3 + 2];
  }
  return out;
}

}  // namespace sievesim
