#include "engine/node.hpp"

#include <algorithm>
#include <string>

#include "base/error.hpp"
#include "workload/routing.hpp"

namespace sievesim {
namespace {

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
BatchConfig node_batch_config(std::int32_t id, const System& sys) {
  BatchConfig c = sys.cfg.workload.batching;
  c.kv_capacity_bytes = sys.kv_capacity_bytes(id);  // replicas make nodes hold different weights
  c.warmup_iterations = sys.cfg.workload.warmup_iterations;
  return c;
}
}  // namespace

Node::Node(std::int32_t id, const System& sys, std::unique_ptr<ExpertScheduler> sched)
    : id_(id),
      k_(sys.model.top_k),
      keep_layer_rows_(sys.cfg.output_layers),
      contention_(sys.pim->contention()),
      batch_(id, node_batch_config(id, sys), sys.model),
      sched_(std::move(sched)) {
  expert_index_.assign(static_cast<std::size_t>(sys.model.routed_experts), -1);
  gates_.resize(static_cast<std::size_t>(k_));
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
  const LayerSpec& spec = ctx.sys.model.layers[static_cast<std::size_t>(layer)];
  row_ = LayerRow{};
  gpu_streams_.clear();
  row_.iteration = iter_.iteration;
  row_.layer = layer;
  row_.node = id_;
  row_.start_ps = clock_ps_;
  const bool on_pim = sched_->attention_on_pim();
  const AttentionCost a =
      ctx.sys.costs->attention(spec, batch_.decode_context(), batch_.prefill_chunks(), on_pim);
  const sim_time_t router = spec.moe ? ctx.sys.costs->router_ps(spec, tokens_) : 0;
  sim_time_t t = std::max(clock_ps_, gpu_ready()) + a.gpu_ps;
  sim_time_t pim_ps = 0;
  if (on_pim && a.pim_ps > 0) {
    // Refresh falls at fixed times: where this kernel starts decides which refreshes it meets.
    const sim_time_t start = std::max(t, pim_ready());
    t = ctx.sys.pim->refresh_end_ps(start, a.pim_busy_ps);
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
  // Shared experts run on the home GPU while the routed tokens are away; they are queued after
  // the expert scheduler's decision (run_experts), which is on the PIM's critical path.
  shared_ps_ = ctx.sys.costs->shared_experts_ps(tokens_);
  shared_end_ps_ = row_.attention_end_ps;
  route_tokens(ctx, layer);
  send_dispatch(ctx, out);
}

void Node::route_tokens(const EngineContext& ctx, std::int64_t layer) {
  const auto& slots = batch_.tokens();
  const auto pairs = static_cast<std::size_t>(tokens_ * k_);
  routed_.resize(pairs);
  routed_node_.resize(pairs);
  const auto nodes = static_cast<std::size_t>(ctx.sys.cfg.nodes);
  if (sent_to_.size() != nodes) {
    // Per-node counters, kept across layers and reset only where touched: a dispatch costs its
    // pairs, not the cluster's size (thousands of nodes).
    sent_to_.assign(nodes, 0);
    tokens_to_.assign(nodes, 0);
    last_slot_.assign(nodes, -1);
  }
  dests_.clear();
  const DispatchView view{id_, ctx.sys.cfg.gpus_per_server, sent_to_};
  pairs_fingerprint_ = 0;
  for (std::int64_t s = 0; s < tokens_; ++s) {
    const auto su = static_cast<std::size_t>(s);
    const std::size_t base = su * static_cast<std::size_t>(k_);
    std::span<std::int32_t> ex(routed_.data() + base, static_cast<std::size_t>(k_));
    ctx.sys.routing->route(
        RouteKey{slots[su].request, slots[su].position, static_cast<std::uint32_t>(layer)}, ex,
        gates_);
    for (std::size_t j = 0; j < static_cast<std::size_t>(k_); ++j) {
      const std::int32_t e = ex[j];
      const auto replicas = ctx.map.replicas(layer, e);
      const std::int32_t node = replicas.size() == 1 ? replicas[0]
                                                     : ctx.sys.replica_dispatch->pick(
                                                           replicas, e, slots[su].request, view);
      const auto n = static_cast<std::size_t>(node);
      routed_node_[base + j] = node;
      if (sent_to_[n]++ == 0) dests_.push_back(node);
      pairs_fingerprint_ += pair_hash(static_cast<std::int32_t>(s), e, node);
      // A token goes once to each destination, however many of its experts live there (or once
      // per expert with low-latency kernels).
      if (last_slot_[n] != static_cast<std::int32_t>(s) || ctx.sys.cfg.dispatch_per_expert) {
        last_slot_[n] = static_cast<std::int32_t>(s);
        ++tokens_to_[n];
      }
    }
  }
  pairs_out_ = static_cast<std::int64_t>(pairs);
}

// One message per destination, in ascending destination order; the records of each keep the
// token order (a counting sort over the destinations touched).
void Node::send_dispatch(const EngineContext& ctx, Outbox& out) {
  const sim_time_t route_ps = row_.attention_end_ps;
  std::sort(dests_.begin(), dests_.end());
  const double token_bytes = ctx.sys.model.token_bytes();
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
  for (std::size_t i = 0; i < routed_.size(); ++i) {
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

void Node::send(const EngineContext& ctx, std::vector<OutMessage>& msgs,
                std::span<MessageHeader> heads, CallKind kind) {
  const Topology& topo = *ctx.sys.topology;
  ports_.send(id_, ctx.sys.cfg.nodes, msgs, topo, topo.call_ps(ctx.sys.cfg.nodes, kind));
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
  ports_.receive(id_, in_msgs_, *ctx.sys.topology);
  arrival_.resize(in.size());
  for (const auto& m : in_msgs_) arrival_[m.index] = m.arrival_ps;
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
  if (const sim_time_t tail = ctx.sys.costs->combine_ps(tokens_); tail > 0) {
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
  const LayerSpec& spec = ctx.sys.model.layers[static_cast<std::size_t>(layer)];
  const sim_time_t ffn = ctx.sys.costs->dense_ffn_ps(spec, tokens_);
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
  const sim_time_t head = ctx.sys.costs->iteration_tail_ps(batch_.emitting());
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
