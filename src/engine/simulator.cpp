#include "engine/simulator.hpp"

#include <algorithm>

#include "engine/coordinator.hpp"
#include "engine/count_routing.hpp"
#include "engine/faults.hpp"
#include "engine/node.hpp"
#include "engine/op_costs.hpp"
#include "engine/ports.hpp"
#include "mpi/gather.hpp"
#include "mpi/message_stream.hpp"
#include "mpi/token_exchange.hpp"

namespace sievesim {
namespace {

int rank_of(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}

// What every rank learns about every node at an iteration boundary: its clock, the requests it
// holds and the ones that just finished. One MPI_Allgatherv of int64 words, in node order.
struct GlobalStatus {
  sim_time_t latest_clock_ps = 0;
  std::vector<std::int64_t> outstanding;
  std::vector<FinishedRequest> finished;
};

GlobalStatus gather_status(const std::vector<Node>& nodes, std::int64_t total_nodes,
                           MPI_Comm comm) {
  std::vector<std::int64_t> mine;
  for (const auto& n : nodes) {
    const auto done = n.just_finished();
    mine.push_back(n.clock_ps());
    mine.push_back(n.outstanding());
    mine.push_back(static_cast<std::int64_t>(done.size()));
    for (const auto& r : done) {
      mine.push_back(r.finish_ps);
      mine.push_back(r.request);
    }
  }
  const std::vector<std::int64_t> all = allgather_words(mine, comm);
  GlobalStatus g;
  g.outstanding.reserve(static_cast<std::size_t>(total_nodes));
  for (std::size_t i = 0; i < all.size();) {
    g.latest_clock_ps = std::max(g.latest_clock_ps, all[i]);
    g.outstanding.push_back(all[i + 1]);
    const auto n = all[i + 2];
    i += 3;
    for (std::int64_t f = 0; f < n; ++f, i += 2) g.finished.push_back({all[i], all[i + 1]});
  }
  if (static_cast<std::int64_t>(g.outstanding.size()) != total_nodes)
    throw SimulationError("iteration status gathered from the wrong number of nodes");
  return g;
}

// Per-request latencies of every node, gathered on every rank (the set, and so the
// percentiles, do not depend on the layout). Warm-up requests and tokens are left out.
void request_latencies(const std::vector<RequestRow>& rows, std::int64_t warmup, Summary& s,
                       MPI_Comm comm) {
  std::vector<sim_time_t> mine;
  for (const auto& r : rows) {
    const bool measured = r.admitted_iteration >= warmup;
    mine.push_back(measured && r.first_token_ps >= 0 ? r.first_token_ps - r.arrival_ps : -1);
    mine.push_back(r.measured_tokens > 1
                       ? (r.last_token_ps - r.measured_first_ps) / (r.measured_tokens - 1)
                       : -1);
    mine.push_back(measured && r.finish_ps >= 0 ? r.finish_ps - r.arrival_ps : -1);
  }
  const std::vector<sim_time_t> all = allgather_words(mine, comm);
  std::vector<sim_time_t> v[3];
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i] >= 0) v[i % 3].push_back(all[i]);
  s.ttft = Percentiles::of(v[0]);
  s.tpot = Percentiles::of(v[1]);
  s.e2e = Percentiles::of(v[2]);
}

// The energy of the measured window from the global per-iteration totals (integers, the same
// on every rank, summed in iteration order): the work's dynamic energy, plus every node's idle
// power over the whole window.
void summarize_energy(const System& sys, const std::vector<IterationRow>& totals, Summary& s) {
  Summary::Energy& e = s.energy;
  EnergyPj sum;
  const double idle_W = sys.gpu->energy().idle_W();
  const auto nodes = static_cast<double>(s.nodes);
  for (const auto& r : totals) {
    if (r.iteration < s.warmup_iterations) continue;
    sum += r.energy;
    const sim_time_t span = r.end_ps - r.start_ps;
    if (span > 0)
      e.peak_node_W = std::max(
          e.peak_node_W,
          static_cast<double>(r.energy.total()) / static_cast<double>(span) / nodes + idle_W);
  }
  e.gpu_compute_J = static_cast<double>(sum.gpu_compute) * 1e-12;
  e.gpu_hbm_J = static_cast<double>(sum.gpu_hbm) * 1e-12;
  e.pim_J = static_cast<double>(sum.pim) * 1e-12;
  e.link_J = static_cast<double>(sum.link) * 1e-12;
  const double node_s = ps_to_s(s.window_ps) * nodes;
  e.static_J = idle_W * node_s;
  const PimCommandShape shape = sys.pim->energy().shape();
  e.stacks = shape.stacks;
  e.refresh_J =
      sys.pim->energy().refresh_W_per_stack() * static_cast<double>(shape.stacks) * node_s;
}

// The summary of a finished run from the global per-iteration totals.
void summarize(const System& sys, std::int64_t iterations, RankResults& res) {
  Summary& s = res.summary;
  s.nodes = sys.cfg.nodes;
  s.iterations = iterations;
  s.warmup_iterations = std::min(sys.cfg.workload.warmup_iterations, iterations);
  // The measured window opens when the last node has finished its warm-up: the earliest start
  // of a measured iteration would be an idle node's, whose clock only moves with the layers it
  // serves, and would make the window depend on how idle nodes spend their time.
  sim_time_t window_start = kTimeNever, warmup_end = 0, iteration_sum = 0;
  for (const auto& r : res.totals) {
    s.makespan_ps = std::max(s.makespan_ps, r.end_ps);
    if (r.iteration < s.warmup_iterations) {
      warmup_end = std::max(warmup_end, r.end_ps);
      continue;
    }
    s.output_tokens += r.output_tokens;
    s.prefill_tokens += r.prefill_tokens;
    window_start = std::min(window_start, r.start_ps);
    iteration_sum += r.end_ps - r.start_ps;
  }
  if (s.warmup_iterations > 0) window_start = warmup_end;
  const auto measured = iterations - s.warmup_iterations;
  if (measured > 0) {
    s.window_ps = s.makespan_ps - window_start;
    s.mean_iteration_ps = iteration_sum / measured;
  }
  summarize_energy(sys, res.totals, s);
}

}  // namespace

struct Simulator::Run {
  System& sys;
  const RankMap& ranks;
  MPI_Comm comm;
  std::int64_t first = 0;
  std::vector<Node> nodes;
  ExpertMap placement;  // in effect: the coordinator may replace it between iterations
  Coordinator coordinator;
  FaultInjector faults;
  DispatchScratch scratch;              // one per rank, shared by its nodes (node.hpp)
  std::unique_ptr<CountRouter> counts;  // the count engine's routing (none: the token engine)
  EngineContext ctx;
  RequestPool pool;
  TokenExchange exchange;
  Outbox box;  // the rank's outgoing messages of the current phase
  // With micro-batches: each one's dispatch messages wait for their exchange in the next step.
  std::vector<Outbox> dispatched, combined;
  std::vector<TokenRecord> wire_out, wire_in;
  std::vector<Message> msgs;
  std::vector<std::size_t> start;
  std::vector<std::int64_t> expert_tokens;  // per (layer, expert), measured iterations
  std::vector<FaultRow> fault_rows;

  Run(System& s, const RankMap& r, MPI_Comm c)
      : sys(s),
        ranks(r),
        comm(c),
        placement(s.expert_map),
        coordinator(s),
        faults(s),
        counts(s.cfg.count_engine
                   ? std::make_unique<CountRouter>(s, r.first_node(rank_of(c)), r.nodes_per_rank())
                   : nullptr),
        ctx{s, placement, &scratch, counts.get()},
        pool(*s.requests.arrivals, *s.assignment, s.cfg.nodes),
        exchange(c),
        dispatched(static_cast<std::size_t>(s.cfg.micro_batches)),
        combined(static_cast<std::size_t>(s.cfg.micro_batches)),
        expert_tokens(static_cast<std::size_t>(s.model.num_layers * s.model.routed_experts)) {
    first = ranks.first_node(rank_of(comm));
    const FaultConfig& fc = s.cfg.faults;
    if (fc.speed_aware && (!fc.gpu_slowdown.empty() || !fc.pim_slowdown.empty())) {
      // A front end told of stragglers weighs a node's requests by its (configured) slowdown:
      // the slower of its GPU and PIM, as either can be its critical path.
      std::vector<double> w;
      for (std::int64_t n = 0; n < s.cfg.nodes; ++n)
        w.push_back(std::max(fc.gpu_factor(n), fc.pim_factor(n)));
      pool.set_weights(std::move(w));
    }
    nodes.reserve(static_cast<std::size_t>(ranks.nodes_per_rank()));
    for (std::int64_t n = 0; n < ranks.nodes_per_rank(); ++n)
      nodes.emplace_back(static_cast<std::int32_t>(first + n), sys, sys.take_scheduler(first + n));
    // The front end, replicated: every rank assigns the same requests to the same nodes.
    hand_out(
        pool.step(0, std::vector<std::int64_t>(static_cast<std::size_t>(sys.cfg.nodes), 0), {}));
  }

  void hand_out(const std::vector<Assigned>& as) {
    for (const auto& a : as)
      if (a.node >= first && a.node < first + static_cast<std::int64_t>(nodes.size()))
        nodes[static_cast<std::size_t>(a.node - first)].enqueue(a.request);
  }

  // One phase's all-to-all: `out`'s messages to their nodes' ranks, then each local node's
  // share of what arrived handed to `phase` (`out` emptied first, so the phase may refill it).
  template <class Phase>
  void exchange_phase(Outbox& out, Phase phase) {
    wire_out.clear();
    const std::vector<int> counts = pack_messages(out, ranks, wire_out);
    exchange.exchange(wire_out, counts, wire_in);
    unpack_messages(wire_in, first, nodes.size(), msgs, start);
    out.clear();
    for (std::size_t i = 0; i < nodes.size(); ++i)
      phase(i, std::span<const Message>(msgs.data() + start[i], start[i + 1] - start[i]));
  }

  // The (layer, expert) loads of a dispatch, for the coordinator and /expert_load.
  void count_dispatch(std::int64_t it, std::int64_t layer, const Outbox& out) {
    if (coordinator.counting()) coordinator.count(layer, out.recs, counts != nullptr);
    if (it >= sys.cfg.workload.warmup_iterations) {
      std::int64_t* row = expert_tokens.data() + layer * sys.model.routed_experts;
      for (const auto& r : out.recs) row[r.expert] += counts ? r.slot : 1;
    }
  }

  bool moe(std::int64_t layer) const {
    return sys.model.layers[static_cast<std::size_t>(layer)].moe;
  }

  // Without micro-batches: attention and dispatch, the experts, the combine.
  void layer_whole(std::int64_t it, std::int64_t layer) {
    for (auto& n : nodes) n.attend(ctx, layer, 0);
    if (!moe(layer)) return;
    box.clear();
    for (auto& n : nodes) n.dispatch(ctx, layer, 0, box);
    count_dispatch(it, layer, box);
    exchange_phase(box, [&](std::size_t i, std::span<const Message> m) {
      nodes[i].run_experts(ctx, layer, 0, m, box);
    });
    exchange_phase(box, [&](std::size_t i, std::span<const Message> m) {
      nodes[i].combine(ctx, layer, 0, m);
    });
  }

  // One action of a micro-batch's layer, in the pipeline's issue order.
  enum class Act { kAttend, kDispatch, kExperts, kCombine };
  struct Step {
    Act act;
    std::size_t mb;
    std::int64_t layer_offset;  // from the layer the step belongs to
  };

  void act(std::int64_t it, const Step& s, std::int64_t layer) {
    const auto m = static_cast<std::int64_t>(s.mb);
    if (s.act == Act::kAttend) {
      for (auto& n : nodes) n.attend(ctx, layer, m);
      return;
    }
    if (!moe(layer)) return;  // a dense layer ran whole in kAttend
    switch (s.act) {
      case Act::kDispatch:
        for (auto& n : nodes) n.dispatch(ctx, layer, m, dispatched[s.mb]);
        count_dispatch(it, layer, dispatched[s.mb]);
        break;
      case Act::kExperts:
        exchange_phase(dispatched[s.mb], [&](std::size_t i, std::span<const Message> msg) {
          nodes[i].run_experts(ctx, layer, m, msg, combined[s.mb]);
        });
        break;
      default:
        exchange_phase(combined[s.mb], [&](std::size_t i, std::span<const Message> msg) {
          nodes[i].combine(ctx, layer, m, msg);
        });
    }
  }

  // Two micro-batches, 0 and 1, one layer apart. Each node's GPU and PIM are FIFO queues in
  // issue order, so the order of issue is the schedule. Per layer l:
  //   0 combines l-1 and runs attention l (GPU, PIM) and dispatches it;
  //   1 runs its experts of l-1, whose tokens left during 0's attention;
  //   0 runs its experts of l, whose tokens travelled during 1's experts;
  //   1 combines l-1 (its results travelled during 0's experts), runs attention l, dispatches.
  // On the GPU: attention 0, experts 1, experts 0, attention 1: each micro-batch computes while
  // the other's tokens are on the links (DeepSeek's two-batch overlap), and each queue is fed
  // in the order its work becomes ready. Issued in the natural order instead (0's whole layer,
  // then 1's), every kernel would queue behind the other micro-batch's, which waits on the
  // links, and nothing would overlap; issuing 1's experts between 0's attention on the PIM and
  // the GPU work after it measured slower (that work then waits for 1's experts).
  void pipelined_iteration(std::int64_t it) {
    static constexpr Step kOrder[] = {{Act::kCombine, 0, -1}, {Act::kAttend, 0, 0},
                                      {Act::kDispatch, 0, 0}, {Act::kExperts, 1, -1},
                                      {Act::kExperts, 0, 0},  {Act::kCombine, 1, -1},
                                      {Act::kAttend, 1, 0},   {Act::kDispatch, 1, 0}};
    const std::int64_t layers = sys.model.num_layers;
    // One step past the last layer drains both micro-batches.
    for (std::int64_t l = 0; l <= layers; ++l)
      for (const Step& s : kOrder)
        if (l + s.layer_offset >= 0 && l + s.layer_offset < layers) act(it, s, l + s.layer_offset);
  }

  void apply_faults(std::int64_t it, GlobalStatus& g) {
    FaultScene scene{sys, comm, nodes, first, pool, placement, coordinator, fault_rows};
    apply_fault_events(faults, scene, it, g.latest_clock_ps, g.outstanding);
  }

  // Returns the latest node clock after the iteration.
  sim_time_t iteration(std::int64_t it) {
    if (faults.has_stragglers())
      for (auto& n : nodes)
        n.set_speed(faults.gpu_factor(n.id(), it), faults.pim_factor(n.id(), it));
    for (auto& n : nodes) n.begin_iteration(it);
    const std::int64_t layers = sys.model.num_layers;
    if (sys.cfg.micro_batches == 1) {
      for (std::int64_t layer = 0; layer < layers; ++layer) layer_whole(it, layer);
    } else {
      pipelined_iteration(it);
    }
    for (auto& n : nodes) n.end_iteration(ctx);
    GlobalStatus g = gather_status(nodes, sys.cfg.nodes, comm);
    if (faults.has_failures()) apply_faults(it, g);
    if (const auto stall = coordinator.step(it, g.latest_clock_ps, placement, comm))
      for (auto& n : nodes) n.wait_until(*stall);  // weights move; nobody computes
    hand_out(pool.step(g.latest_clock_ps, g.outstanding, std::move(g.finished)));
    return g.latest_clock_ps;
  }

  RankResults finish(std::int64_t iterations) {
    RankResults res;
    std::int64_t counts[3] = {0, 0, 0};  // records dispatched, combined and dropped
    for (const auto& n : nodes) {
      res.layers.insert(res.layers.end(), n.layer_rows().begin(), n.layer_rows().end());
      res.iterations.insert(res.iterations.end(), n.iteration_rows().begin(),
                            n.iteration_rows().end());
      n.finish(res.requests);
      counts[0] += n.records_dispatched();
      counts[1] += n.records_combined();
      counts[2] += n.records_dropped();
    }
    MPI_Allreduce(MPI_IN_PLACE, counts, 3, MPI_INT64_T, MPI_SUM, comm);
    res.totals = reduce_iterations(res.iterations, iterations, comm);
    res.placements = coordinator.rows();
    collect_expert_load(res);
    summarize(sys, iterations, res);
    res.summary.requests = pool.total();
    res.summary.requests_finished = pool.finished();
    res.summary.records_dispatched = counts[0];
    res.summary.records_combined = counts[1];
    res.summary.faults = sys.cfg.faults.enabled;
    res.summary.records_dropped = counts[2];
    res.summary.requests_requeued = pool.requeued();
    res.summary.requests_dropped = pool.dropped();
    res.faults = fault_rows;
    request_latencies(res.requests, res.summary.warmup_iterations, res.summary, comm);
    return res;
  }

  void collect_expert_load(RankResults& res) {
    const std::int64_t experts = sys.model.routed_experts;
    MPI_Allreduce(MPI_IN_PLACE, expert_tokens.data(), static_cast<int>(expert_tokens.size()),
                  MPI_INT64_T, MPI_SUM, comm);
    for (std::int64_t l = 0; l < sys.model.num_layers; ++l) {
      if (!sys.model.layers[static_cast<std::size_t>(l)].moe) continue;
      for (std::int64_t e = 0; e < experts; ++e)
        res.expert_load.push_back(ExpertLoadRow{
            l, e, expert_tokens[static_cast<std::size_t>(l * experts + e)],
            static_cast<std::int64_t>(placement.replicas(l, static_cast<std::int32_t>(e)).size())});
    }
  }
};

Simulator::Simulator(System& sys, const RankMap& ranks, MPI_Comm comm)
    : sys_(sys), ranks_(ranks), comm_(comm) {}

Simulator::~Simulator() = default;

RankResults Simulator::run(const std::function<void(const Progress&)>& progress) {
  Run r(sys_, ranks_, comm_);
  const auto limit = sys_.cfg.workload.max_iterations;
  std::int64_t it = 0;
  for (; !r.pool.done() && (limit == 0 || it < limit); ++it) {
    const sim_time_t now = r.iteration(it);
    if (progress) progress(Progress{it + 1, limit, r.pool.finished(), r.pool.total(), now});
  }
  exchanges_ = r.exchange.calls();
  return r.finish(it);
}

std::vector<IterationRow> reduce_iterations(const std::vector<IterationRow>& local,
                                            std::int64_t iterations, MPI_Comm comm) {
  const auto n = static_cast<std::size_t>(iterations);
  constexpr std::size_t kSums = 10;
  std::vector<std::int64_t> mins(n, kTimeNever), maxs(n, 0), sums(n * kSums, 0);
  for (const auto& r : local) {
    const auto i = static_cast<std::size_t>(r.iteration);
    mins[i] = std::min(mins[i], r.start_ps);
    maxs[i] = std::max(maxs[i], r.end_ps);
    const std::int64_t v[kSums] = {
        r.batch,         r.queued,        r.prefill_tokens,     r.decode_tokens,
        r.output_tokens, r.kv_used_bytes, r.energy.gpu_compute, r.energy.gpu_hbm,
        r.energy.pim,    r.energy.link};
    for (std::size_t k = 0; k < kSums; ++k) sums[i * kSums + k] += v[k];
  }
  MPI_Allreduce(MPI_IN_PLACE, mins.data(), static_cast<int>(n), MPI_INT64_T, MPI_MIN, comm);
  MPI_Allreduce(MPI_IN_PLACE, maxs.data(), static_cast<int>(n), MPI_INT64_T, MPI_MAX, comm);
  MPI_Allreduce(MPI_IN_PLACE, sums.data(), static_cast<int>(n * kSums), MPI_INT64_T, MPI_SUM, comm);
  std::vector<IterationRow> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& o = out[i];
    o.iteration = static_cast<std::int64_t>(i);
    o.start_ps = mins[i];
    o.end_ps = maxs[i];
    const std::int64_t* v = &sums[i * kSums];
    o.batch = v[0], o.queued = v[1], o.prefill_tokens = v[2], o.decode_tokens = v[3];
    o.output_tokens = v[4], o.kv_used_bytes = v[5];
    o.energy = EnergyPj{v[6], v[7], v[8], v[9]};
  }
  return out;
}

}  // namespace sievesim
