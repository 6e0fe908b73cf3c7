#include "engine/node.hpp"

#include <algorithm>
#include <string>

#include "base/error.hpp"
#include "workload/routing.hpp"

namespace sievesim {
namespace {

std::int64_t unique_slots(std::span<const TokenRecord> recs) {
  // A message's records keep their sender's order (slot by slot), so distinct slots are runs.
  std::int64_t n = 0;
  for (std::size_t i = 0; i < recs.size(); ++i)
    if (i == 0 || recs[i].slot != recs[i - 1].slot) ++n;
  return n;
}

// One (token, expert, node) triple's term of the conservation fingerprint (SplitMix64's
// finalizer): the sum over a layer's pairs does not depend on their order, and a pair lost,
// duplicated or changed on the way changes it except with probability ~2^-64.
std::uint64_t pair_hash(std::int32_t slot, std::int32_t expert, std::int32_t node) {
  std::uint64_t z =
      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(slot)) << 32 |
       static_cast<std::uint32_t>(expert)) ^
      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(node)) + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

namespace {
BatchConfig node_batch_config(std::int32_t id, const Experiment& x) {
  BatchConfig c = x.workload.batching;
  c.kv_capacity_bytes = x.kv_capacity_bytes(id);  // replicas make nodes hold different weights
  c.warmup_iterations = x.workload.warmup_iterations;
  return c;
}
}  // namespace

Node::Node(std::int32_t id, const Experiment& x)
    : id_(id),
      k_(x.model.top_k),
      keep_layer_rows_(x.output_layers),
      contention_(x.pim->contention()),
      batch_(id, node_batch_config(id, x), x.model),
      sched_(x.new_scheduler()) {
  expert_index_.assign(static_cast<std::size_t>(x.model.routed_experts), -1);
}

void Node::begin_iteration(std::int64_t iteration) {
  // Admission and the token layout; an idle node waits for its next request.
  clock_ps_ = batch_.plan(clock_ps_, iteration);
  tokens_ = static_cast<std::int64_t>(batch_.tokens().size());
  iter_ = IterationRow{};
  iter_.iteration = iteration;
  iter_.node = id_;
  iter_.start_ps = clock_ps_;
  iter_.batch = batch_.running();
  iter_.queued = batch_.outstanding() - batch_.running();
  iter_.prefill_tokens = batch_.prefill_tokens();
  iter_.decode_tokens = batch_.decode_tokens();
  iter_.output_tokens = batch_.emitting();
  iter_.kv_used_bytes = static_cast<std::int64_t>(batch_.kv_used_bytes());
}

sim_time_t Node::attention_phase(const EngineContext& ctx, std::int64_t layer) {
  const LayerSpec& spec = ctx.x.model.layers[static_cast<std::size_t>(layer)];
  row_ = LayerRow{};
  gpu_streams_.clear();
  row_.iteration = iter_.iteration;
  row_.layer = layer;
  row_.node = id_;
  row_.start_ps = clock_ps_;
  const bool on_pim = sched_->attention_on_pim();
  const AttentionCost a =
      ctx.costs.attention(spec, batch_.decode_context(), batch_.prefill_chunks(), on_pim);
  const sim_time_t router = spec.moe ? ctx.costs.router_ps(spec, tokens_) : 0;
  sim_time_t t = std::max(clock_ps_, gpu_ready()) + a.gpu_ps;
  sim_time_t pim_ps = 0;
  if (on_pim && a.pim_ps > 0) {
    // Refresh falls at fixed times: where this kernel starts decides which refreshes it meets.
    const sim_time_t start = std::max(t, pim_ready());
    t = ctx.x.pim->refresh_end_ps(start, a.pim_busy_ps);
    pim_ps = t - start;
    pim_free_ps_ = t;
  }
  // The output projection, residual and norm need the attention output, wherever it ran.
  t += a.gpu_after_ps + router;
  gpu_free_ps_ = t;
  row_.gpu_busy_ps += a.gpu_ps + a.gpu_after_ps + router;
  row_.pim_busy_ps += pim_ps;
  row_.attention_end_ps = t;
  return pim_ps;
}

void Node::dispatch(const EngineContext& ctx, std::int64_t layer, Outbox& out) {
  attention_phase(ctx, layer);
  const auto batch = tokens_;
  const auto& slots = batch_.tokens();
  const sim_time_t route_ps = row_.attention_end_ps;

  // Shared experts run on the home GPU while the routed tokens are away; they are queued after
  // the expert scheduler's decision (run_experts), which is on the PIM's critical path.
  shared_ps_ = ctx.costs.shared_experts_ps(batch);
  shared_end_ps_ = route_ps;

  const auto pairs = static_cast<std::size_t>(batch * k_);
  routed_.resize(pairs);
  gates_.resize(pairs);
  routed_node_.resize(pairs);
  const auto nodes = static_cast<std::size_t>(ctx.x.nodes);
  if (sent_to_.size() != nodes) {
    // Per-node counters, kept across layers and reset only where touched: a dispatch costs its
    // pairs, not the cluster's size (thousands of nodes).
    sent_to_.assign(nodes, 0);
    tokens_to_.assign(nodes, 0);
    last_slot_.assign(nodes, -1);
  }
  dests_.clear();
  const DispatchView view{id_, ctx.x.gpus_per_server, sent_to_};
  pairs_fingerprint_ = 0;
  for (std::int64_t s = 0; s < batch; ++s) {
    const auto su = static_cast<std::size_t>(s);
    const std::size_t base = su * static_cast<std::size_t>(k_);
    std::span<std::int32_t> ex(routed_.data() + base, static_cast<std::size_t>(k_));
    std::span<float> g(gates_.data() + base, static_cast<std::size_t>(k_));
    ctx.x.routing->route(
        RouteKey{slots[su].request, slots[su].position, static_cast<std::uint32_t>(layer)}, ex, g);
    for (std::size_t j = 0; j < static_cast<std::size_t>(k_); ++j) {
      const std::int32_t e = ex[j];
      const auto replicas = ctx.map.replicas(layer, e);
      const std::int32_t node =
          replicas.size() == 1 ? replicas[0]
                               : ctx.x.replica_dispatch->pick(replicas, e, slots[su].request, view);
      const auto n = static_cast<std::size_t>(node);
      routed_node_[base + j] = node;
      if (sent_to_[n]++ == 0) dests_.push_back(node);
      pairs_fingerprint_ += pair_hash(static_cast<std::int32_t>(s), e, node);
      // A token goes once to each destination, however many of its experts live there (or once
      // per expert with low-latency kernels).
      if (last_slot_[n] != static_cast<std::int32_t>(s) || ctx.x.dispatch_per_expert) {
        last_slot_[n] = static_cast<std::int32_t>(s);
        ++tokens_to_[n];
      }
    }
  }
  pairs_out_ = static_cast<std::int64_t>(pairs);

  // One message per destination, in ascending destination order; the records of each keep the
  // token order (a counting sort over the destinations touched).
  std::sort(dests_.begin(), dests_.end());
  const double token_bytes = ctx.x.model.token_bytes();
  const std::size_t first_head = out.heads.size();
  std::size_t at = out.recs.size();
  std::vector<OutMessage> msgs;
  msgs.reserve(dests_.size());
  for (const auto d : dests_) {
    const auto n = static_cast<std::size_t>(d);
    MessageHeader h;
    h.route_ps = route_ps;
    h.records = sent_to_[n];
    h.src = id_;
    h.dst = d;
    out.heads.push_back(h);
    msgs.push_back(OutMessage{d, static_cast<double>(tokens_to_[n]) * token_bytes, route_ps});
    // From here on sent_to_ is the destination's write position, last_slot_ is reset.
    sent_to_[n] = static_cast<std::int64_t>(at);
    at += static_cast<std::size_t>(h.records);
    tokens_to_[n] = 0;
    last_slot_[n] = -1;
  }
  out.recs.resize(at);
  for (std::size_t i = 0; i < pairs; ++i) {
    auto& pos = sent_to_[static_cast<std::size_t>(routed_node_[i])];
    out.recs[static_cast<std::size_t>(pos++)] =
        TokenRecord{static_cast<std::int32_t>(i / static_cast<std::size_t>(k_)), routed_[i]};
  }
  for (const auto d : dests_) sent_to_[static_cast<std::size_t>(d)] = 0;
  send(ctx, msgs,
       std::span<MessageHeader>(out.heads.data() + first_head, out.heads.size() - first_head),
       CallKind::kDispatch);
  row_.tokens_out = pairs_out_;
  records_dispatched_ += pairs_out_;
}

void Node::finish_row() {
  const sim_time_t span = row_.end_ps - row_.start_ps;
  row_.gpu_idle_ps = std::max<sim_time_t>(0, span - row_.gpu_busy_ps);
  row_.pim_idle_ps = std::max<sim_time_t>(0, span - row_.pim_busy_ps);
  if (keep_layer_rows_) layer_rows_.push_back(row_);
}

sim_time_t Node::gpu_ready() const {
  return contention_ == Contention::kExclusive ? std::max(gpu_free_ps_, pim_free_ps_)
                                               : gpu_free_ps_;
}

sim_time_t Node::pim_ready() const {
  return contention_ == Contention::kExclusive ? std::max(gpu_free_ps_, pim_free_ps_)
                                               : pim_free_ps_;
}

sim_time_t Node::pim_run(sim_time_t start, sim_time_t dur) const {
  sim_time_t end = start + dur;
  if (contention_ != Contention::kShared) return end;
  // With one row buffer the controller serves the GPU first: PIM work stalls for as long as it
  // overlaps a GPU kernel streaming from the same stacks (intervals in time order).
  for (const auto& [a, b] : gpu_streams_)
    if (a < end && b > start) end += std::min(b, end) - std::max(a, start);
  return end;
}

void Node::send(const EngineContext& ctx, std::vector<OutMessage>& msgs,
                std::span<MessageHeader> heads, CallKind kind) {
  ports_.send(id_, ctx.x.nodes, msgs, ctx.topo, ctx.topo.call_ps(ctx.x.nodes, kind));
  for (const auto& m : msgs) {
    auto h = std::lower_bound(heads.begin(), heads.end(), m.dst,
                              [](const MessageHeader& a, std::int32_t d) { return a.dst < d; });
    h->eg_start_ps = m.eg_start_ps;
    h->eg_end_ps = m.eg_end_ps;
    h->bytes = static_cast<std::int64_t>(m.bytes);
    if (m.dst != id_) row_.bytes_sent += static_cast<std::int64_t>(m.bytes);
  }
}

void Node::receive(const EngineContext& ctx, std::span<const Message> in) {
  in_msgs_.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    const MessageHeader& h = in[i].head;
    if (h.dst != id_)
      throw SimulationError("node " + std::to_string(id_) + " was handed a message for node " +
                            std::to_string(h.dst));
    in_msgs_.push_back(
        InMessage{h.src, static_cast<double>(h.bytes), h.eg_start_ps, h.eg_end_ps, 0, i});
  }
  ports_.receive(id_, in_msgs_, ctx.topo);
  arrival_.resize(in.size());
  for (const auto& m : in_msgs_) arrival_[m.index] = m.arrival_ps;
}

void Node::run_experts(const EngineContext& ctx, std::int64_t layer, std::span<const Message> in,
                       Outbox& out) {
  const Topology& topo = ctx.topo;
  receive(ctx, in);
  // The scheduler's communication estimate uses only what the token counts tell: the bytes each
  // source sends, serialized on this node's ingress, plus a hop; the combine mirrors it.
  sim_time_t comm_bytes_ps = 0, comm_latency_ps = 0;
  for (const auto& m : in) {
    if (m.head.src != id_) {
      const FabricModel& f = topo.model(topo.fabric(m.head.src, id_));
      comm_bytes_ps += f.transfer_ps(static_cast<double>(m.head.bytes));
      comm_latency_ps = std::max(comm_latency_ps, f.latency_ps());
    }
  }

  // Tokens per active local expert and when the last of them arrived.
  std::vector<ExpertLoad> loads;
  sim_time_t counts_known = row_.attention_end_ps;
  sim_time_t dispatch_end = row_.attention_end_ps;
  std::int64_t tokens_in = 0;
  for (std::size_t m = 0; m < in.size(); ++m) {
    const sim_time_t arrival = arrival_[m];
    counts_known = std::max(counts_known, in[m].head.route_ps);
    tokens_in += static_cast<std::int64_t>(in[m].recs.size());
    for (const auto& r : in[m].recs) {
      auto& idx = expert_index_[static_cast<std::size_t>(r.expert)];
      if (idx < 0) {
        if (!ctx.map.holds(layer, r.expert, id_))
          throw SimulationError("token for expert " + std::to_string(r.expert) +
                                " delivered to node " + std::to_string(id_) +
                                ", which does not hold it");
        idx = static_cast<std::int32_t>(loads.size());
        loads.push_back(ExpertLoad{r.expert, 0, 0});
      }
      auto& l = loads[static_cast<std::size_t>(idx)];
      ++l.tokens;
      l.ready_ps = std::max(l.ready_ps, arrival);
      dispatch_end = std::max(dispatch_end, l.ready_ps);
    }
  }
  // The scheduler sees experts in ascending id, whatever order tokens arrived in.
  std::sort(loads.begin(), loads.end(),
            [](const ExpertLoad& a, const ExpertLoad& b) { return a.expert < b.expert; });
  for (std::size_t i = 0; i < loads.size(); ++i)
    expert_index_[static_cast<std::size_t>(loads[i].expert)] = static_cast<std::int32_t>(i);
  if (!loads.empty() && sched_->uses_local_index()) {
    // The node's own numbering of its experts: rank among the experts it holds in this layer.
    const auto held = ctx.map.local_experts(layer, id_);
    for (auto& l : loads)
      l.local = static_cast<std::int32_t>(std::lower_bound(held.begin(), held.end(), l.expert) -
                                          held.begin());
  }
  row_.dispatch_end_ps = dispatch_end;
  row_.tokens_in = tokens_in;

  const ModelSpec& model = ctx.x.model;
  // The calls' fixed costs (launch, signalling) are left out: they come before the first byte
  // and after the last whatever the split, so they overlap no expert and a max() with them
  // would only stop the greedy early.
  const sim_time_t comm = comm_bytes_ps > 0 ? 2 * (comm_bytes_ps + comm_latency_ps) : 0;
  SchedulerInput sin{
      layer, loads, model.expert, model.activation_dtype, *ctx.x.gpu, *ctx.x.pim, comm,
      // Attention "already on the PIM" is the PIM work still queued when the experts could
      // start: time the PIM cannot give to experts. Attention that has finished by then is on
      // the critical path before every split alike and must not bias the split.
      std::max<sim_time_t>(0, pim_ready() - counts_known)};
  std::vector<sim_time_t> done(loads.size(), 0);
  sim_time_t experts_end = dispatch_end;
  ExpertSplit split;
  if (!loads.empty()) {
    split = sched_->split(sin);
    if (split.gpu.size() + split.pim.size() != loads.size())
      throw SimulationError("scheduler '" + ctx.x.scheduler_name +
                            "' did not place every active expert exactly once");
  }
  // A decision, if the scheduler makes one on the GPU, runs once the counts are known (the
  // all-gather after routing); then the shared experts; then the routed experts.
  sim_time_t decided = counts_known;
  if (split.decision_ps > 0) {
    row_.sched_ps = split.decision_ps;
    if (split.decision_blocks_gpu) {
      decided = std::max(gpu_ready(), counts_known) + split.decision_ps;
      gpu_free_ps_ = decided;
      row_.gpu_busy_ps += split.decision_ps;
    } else {
      // A side stream: the kernel takes a few SMs beside whatever the compute stream runs, so
      // it neither waits for the GPU nor holds it; only the routed GEMM waits for its answer.
      decided = counts_known + split.decision_ps;
    }
  }
  if (shared_ps_ > 0) {
    shared_end_ps_ = std::max(gpu_ready(), row_.attention_end_ps) + shared_ps_;
    gpu_streams_.emplace_back(shared_end_ps_ - shared_ps_, shared_end_ps_);
    gpu_free_ps_ = shared_end_ps_;
    row_.gpu_busy_ps += shared_ps_;
  }
  if (!loads.empty()) {
    const bool overlap = sched_->overlap();
    const sim_time_t barrier = overlap ? decided : std::max(decided, dispatch_end);

    if (!split.gpu.empty()) {
      sim_time_t ready = barrier;
      std::vector<std::int32_t> tokens;
      for (auto i : split.gpu) {
        ready = std::max(ready, loads[static_cast<std::size_t>(i)].ready_ps);
        tokens.push_back(loads[static_cast<std::size_t>(i)].tokens);
        row_.tokens_gpu += loads[static_cast<std::size_t>(i)].tokens;
      }
      const sim_time_t dur =
          ctx.x.gpu->grouped_gemm_ps(tokens, model.expert, model.activation_dtype);
      const sim_time_t end = std::max(gpu_ready(), ready) + dur;
      gpu_streams_.emplace_back(end - dur, end);
      gpu_free_ps_ = end;
      row_.gpu_busy_ps += dur;
      for (auto i : split.gpu) done[static_cast<std::size_t>(i)] = end;
      experts_end = std::max(experts_end, end);
    }
    // The PIM runs its experts in the scheduler's order: striped over all channels one at a
    // time, or (channel-level EP) one sequence per channel group, the groups in parallel.
    const sim_time_t pim_barrier = overlap && split.pim_before_decision ? counts_known : barrier;
    const sim_time_t pim_start = std::max(pim_ready(), pim_barrier);
    const bool grouped = !split.pim_group.empty();
    std::vector<sim_time_t> group_t, group_busy;
    sim_time_t t = pim_start;
    for (std::size_t k = 0; k < split.pim.size(); ++k) {
      const auto i = split.pim[k];
      const auto& l = loads[static_cast<std::size_t>(i)];
      sim_time_t* clock = &t;
      if (grouped) {
        const auto g = static_cast<std::size_t>(split.pim_group[k]);
        if (g >= group_t.size()) {
          group_t.resize(g + 1, pim_start);
          group_busy.resize(g + 1, 0);
        }
        clock = &group_t[g];
      }
      // The expert's duration includes the refreshes that fall while it runs.
      const sim_time_t start = std::max(*clock, l.ready_ps);
      const sim_time_t dur =
          ctx.x.pim->expert_ps(model.expert, l.tokens, grouped ? split.group_channels : 0, start);
      if (grouped)
        group_busy[static_cast<std::size_t>(split.pim_group[k])] += dur;
      else
        row_.pim_busy_ps += dur;
      *clock = pim_run(start, dur);
      done[static_cast<std::size_t>(i)] = *clock;
      sched_->observe_pim(l.tokens, dur);
      row_.tokens_pim += l.tokens;
    }
    for (auto g : group_t) t = std::max(t, g);
    // With channel groups the PIM is as busy as its busiest group.
    if (!group_busy.empty())
      row_.pim_busy_ps += *std::max_element(group_busy.begin(), group_busy.end());
    pim_free_ps_ = std::max(pim_free_ps_, t);
    experts_end = std::max(experts_end, t);
    row_.experts_gpu = static_cast<std::int64_t>(split.gpu.size());
    row_.experts_pim = static_cast<std::int64_t>(split.pim.size());
    if (!overlap) std::fill(done.begin(), done.end(), experts_end);
  }
  row_.experts_end_ps = experts_end;

  // Combine: one message back to each home node, leaving when the experts it carries results of
  // are done; its records are the ones that came (ascending home node, as `in`).
  const double token_bytes = model.token_bytes();
  std::vector<OutMessage> back;
  back.reserve(in.size());
  const std::size_t first_head = out.heads.size();
  for (const auto& m : in) {
    sim_time_t ready = 0;
    for (const auto& r : m.recs)
      ready = std::max(
          ready, done[static_cast<std::size_t>(expert_index_[static_cast<std::size_t>(r.expert)])]);
    const auto n =
        ctx.x.dispatch_per_expert ? static_cast<std::int64_t>(m.recs.size()) : unique_slots(m.recs);
    back.push_back(OutMessage{m.head.src, static_cast<double>(n) * token_bytes, ready});
    MessageHeader h;
    h.records = static_cast<std::int64_t>(m.recs.size());
    h.src = id_;
    h.dst = m.head.src;
    out.heads.push_back(h);
    out.recs.insert(out.recs.end(), m.recs.begin(), m.recs.end());
  }
  send(ctx, back,
       std::span<MessageHeader>(out.heads.data() + first_head, out.heads.size() - first_head),
       CallKind::kCombine);
  for (const auto& l : loads) expert_index_[static_cast<std::size_t>(l.expert)] = -1;
}

void Node::combine(const EngineContext& ctx, std::int64_t layer, std::span<const Message> in) {
  receive(ctx, in);
  sim_time_t end = std::max(shared_end_ps_, row_.attention_end_ps);
  for (std::size_t m = 0; m < in.size(); ++m) end = std::max(end, arrival_[m]);

  // Token conservation: the (token, expert, node) triples that come back must be the ones that
  // left, each once. Counting and summing a hash checks that per pair without a lookup.
  std::int64_t pairs = 0;
  std::uint64_t fingerprint = 0;
  for (const auto& m : in) {
    pairs += static_cast<std::int64_t>(m.recs.size());
    for (const auto& r : m.recs) {
      if (r.slot < 0 || r.slot >= tokens_)
        throw SimulationError("combine record for a token this node does not own");
      fingerprint += pair_hash(r.slot, r.expert, m.head.src);
    }
  }
  const std::string where = "node " + std::to_string(id_) + " layer " + std::to_string(layer);
  if (pairs < pairs_out_)
    throw SimulationError(where + ": " + std::to_string(pairs_out_ - pairs) +
                          " dispatched (token, expert) pairs never came back");
  if (pairs > pairs_out_)
    throw SimulationError(where + ": " + std::to_string(pairs - pairs_out_) +
                          " more (token, expert) pairs came back than were dispatched");
  if (fingerprint != pairs_fingerprint_)
    throw SimulationError(where +
                          ": the (token, expert, node) pairs that came back are not the ones "
                          "dispatched (one lost and another duplicated or altered)");
  records_combined_ += pairs;
  // The weighted sum of the results and the residual add run on the home GPU once the last
  // result is in.
  if (const sim_time_t tail = ctx.costs.combine_ps(tokens_); tail > 0) {
    end = std::max(end, gpu_ready()) + tail;
    gpu_free_ps_ = end;
    row_.gpu_busy_ps += tail;
  }
  row_.end_ps = end;
  clock_ps_ = end;
  finish_row();
}

void Node::dense_layer(const EngineContext& ctx, std::int64_t layer) {
  attention_phase(ctx, layer);
  const LayerSpec& spec = ctx.x.model.layers[static_cast<std::size_t>(layer)];
  const sim_time_t ffn = ctx.costs.dense_ffn_ps(spec, tokens_);
  gpu_free_ps_ = std::max(gpu_ready(), row_.attention_end_ps) + ffn;
  row_.gpu_busy_ps += ffn;
  row_.dispatch_end_ps = row_.experts_end_ps = row_.attention_end_ps;
  row_.end_ps = gpu_free_ps_;
  clock_ps_ = row_.end_ps;
  finish_row();
}

void Node::end_iteration(const EngineContext& ctx) {
  // Only the tokens that yield an output token go through the final norm, the LM head and
  // sampling.
  const sim_time_t head = ctx.costs.iteration_tail_ps(batch_.emitting());
  clock_ps_ = std::max(clock_ps_, head > 0 ? gpu_ready() : clock_ps_) + head;
  if (head > 0) gpu_free_ps_ = clock_ps_;
  iter_.end_ps = clock_ps_;
  iteration_rows_.push_back(iter_);
  finished_before_ = finished_.size();
  batch_.complete(clock_ps_, finished_);
}

void Node::finish(std::vector<RequestRow>& out) const {
  out.insert(out.end(), finished_.begin(), finished_.end());
  batch_.unfinished(out);
}

}  // namespace sievesim
