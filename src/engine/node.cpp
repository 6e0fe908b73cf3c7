#include "engine/node.hpp"

#include <algorithm>
#include <string>

#include "base/error.hpp"
#include "workload/routing.hpp"

namespace sievesim {

// SplitMix64's finalizer: the sum over a layer's pairs does not depend on their order, and a
// pair lost, duplicated or changed on the way changes it except with probability ~2^-64.
std::uint64_t pair_hash(std::int32_t slot, std::int32_t expert, std::int32_t node) {
  std::uint64_t z =
      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(slot)) << 32 |
       static_cast<std::uint32_t>(expert)) ^
      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(node)) + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

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
      static_W_(sys.gpu->energy().idle_W()),
      batch_(id, node_batch_config(id, sys), sys.model),
      mb_(static_cast<std::size_t>(sys.cfg.micro_batches)),
      sched_(std::move(sched)) {
  gpu_ = plan_gpu_ = sys.gpu.get();
  pim_ = plan_pim_ = sys.pim.get();
  costs_ = sys.costs.get();
  expert_index_.assign(static_cast<std::size_t>(sys.model.routed_experts), -1);
  gates_.resize(static_cast<std::size_t>(k_));
  if (sys.cfg.faults.stragglers()) {
    slow_gpu_ = std::make_unique<SlowedGpuModel>(*sys.gpu);
    slow_pim_ = std::make_unique<SlowedPimModel>(*sys.pim);
    slow_costs_ = std::make_unique<OpCosts>(sys.model, *slow_gpu_, *slow_pim_);
    gpu_ = slow_gpu_.get();
    pim_ = slow_pim_.get();
    costs_ = slow_costs_.get();
    if (sys.cfg.faults.speed_aware) plan_gpu_ = gpu_, plan_pim_ = pim_;
  }
}

void Node::set_speed(double gpu_factor, double pim_factor) {
  if (!slow_gpu_) return;
  slow_gpu_->set_factor(gpu_factor);
  slow_pim_->set_factor(pim_factor);
}

void Node::fail(std::vector<RequestSpec>& lost) {
  batch_.evict(lost);
  failed_ = true;
}

void Node::rejoin(sim_time_t t) {
  failed_ = false;
  wait_until(t);
}

void Node::begin_iteration(std::int64_t iteration) {
  if (failed_) {  // nothing to run: no rows, no clock
    tokens_ = 0;
    for (auto& b : mb_) b = MicroBatch{};
    return;
  }
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
  rows_before_ = layer_rows_.size();
  split_batch();
}

// Micro-batch 0 takes the first ceil(R/2) of the R requests with tokens in this iteration, in
// the batch's order, and the next one the rest. The batch lists decode tokens (one per request)
// before prefill chunks (each request's tokens together), so each micro-batch is a range of
// slots and of the decode contexts and chunks.
void Node::split_batch() {
  const auto& toks = batch_.tokens();
  const auto context = batch_.decode_context();
  const auto chunks = batch_.prefill_chunks();
  const auto n = static_cast<std::int64_t>(mb_.size());
  std::int64_t requests = 0;
  for (std::size_t i = 0; i < toks.size(); ++i)
    if (i == 0 || toks[i].request != toks[i - 1].request) ++requests;
  const auto decode = static_cast<std::int64_t>(context.size());
  std::int64_t lo = 0, seen = 0;
  for (std::int64_t m = 0; m < n; ++m) {
    MicroBatch& b = mb_[static_cast<std::size_t>(m)];
    // Requests that micro-batches 0..m take together: ceil(requests * (m + 1) / n).
    const std::int64_t upto = (requests * (m + 1) + n - 1) / n;
    std::int64_t hi = lo;
    for (; hi < tokens_; ++hi) {
      const auto h = static_cast<std::size_t>(hi);
      if (hi == 0 || toks[h].request != toks[h - 1].request) {
        if (seen == upto) break;
        ++seen;
      }
    }
    b.lo = lo;
    b.hi = hi;
    b.context =
        context.subspan(static_cast<std::size_t>(std::min(lo, decode)),
                        static_cast<std::size_t>(std::min(hi, decode) - std::min(lo, decode)));
    b.clock_ps = clock_ps_;
    lo = hi;
  }
  // Prefill chunks follow the decode tokens in slot order: chunk j starts where j-1 ended.
  std::int64_t at = decode;
  std::size_t j = 0;
  for (auto& b : mb_) {
    const std::size_t first = j;
    while (j < chunks.size() && at < b.hi) at += chunks[j++].new_tokens;
    b.chunks = chunks.subspan(first, j - first);
  }
}

void Node::attend(const EngineContext& ctx, std::int64_t layer, std::int64_t mb) {
  if (failed_) return;
  cur_ = static_cast<std::size_t>(mb);
  MicroBatch& b = cur();
  const LayerSpec& spec = ctx.sys.model.layers[static_cast<std::size_t>(layer)];
  b.row = LayerRow{};
  LayerRow& r = b.row;
  forget_gpu_streams();
  r.iteration = iter_.iteration;
  r.layer = layer;
  r.node = id_;
  r.micro_batch = mb;
  r.start_ps = b.clock_ps;
  b.attention_ready_ps = b.clock_ps;
  b.after_ps = 0;
  // An empty micro-batch launches nothing; a node's whole (empty) batch keeps its kernels'
  // fixed costs as without micro-batches.
  if (b.tokens() > 0 || mb_.size() == 1) {
    const bool on_pim = sched_->attention_on_pim();
    const AttentionCost a = costs_->attention(spec, b.context, b.chunks, on_pim);
    const sim_time_t router = spec.moe ? costs_->router_ps(spec, b.tokens()) : 0;
    sim_time_t t = std::max(b.clock_ps, gpu_ready()) + a.gpu_ps;
    gpu_free_ps_ = t;
    if (on_pim && a.pim_ps > 0) {
      // Refresh falls at fixed times: where this kernel starts decides which refreshes it meets.
      const sim_time_t start = std::max(t, pim_ready());
      t = pim_->refresh_end_ps(start, a.pim_busy_ps);
      r.pim_busy_ps += t - start;
      pim_free_ps_ = t;
    }
    r.gpu_busy_ps += a.gpu_ps;
    r.energy.add(a.energy);
    if (spec.moe) r.energy.add(ctx.sys.costs->router_energy(spec, b.tokens()));
    b.attention_ready_ps = t;
    // The output projection, residual and norm need the attention output, wherever it ran.
    b.after_ps = a.gpu_after_ps + router;
  }
  if (!spec.moe) dense_layer(ctx, layer);
}

void Node::dense_layer(const EngineContext& ctx, std::int64_t layer) {
  MicroBatch& b = cur();
  const LayerSpec& spec = ctx.sys.model.layers[static_cast<std::size_t>(layer)];
  const bool runs = b.tokens() > 0 || mb_.size() == 1;
  const sim_time_t ffn = runs ? costs_->dense_ffn_ps(spec, b.tokens()) : 0;
  if (runs) b.row.energy.add(ctx.sys.costs->dense_ffn_energy(spec, b.tokens()));
  const sim_time_t end = std::max(b.attention_ready_ps, gpu_ready()) + b.after_ps + ffn;
  gpu_free_ps_ = end;
  b.row.gpu_busy_ps += b.after_ps + ffn;
  b.row.attention_end_ps = end - ffn;
  b.row.dispatch_end_ps = b.row.experts_end_ps = b.row.attention_end_ps;
  b.row.end_ps = end;
  b.clock_ps = end;
  finish_row();
}

void Node::forget_gpu_streams() {
  if (mb_.size() == 1) {
    gpu_streams_.clear();  // the previous layer's kernels are over
    return;
  }
  // The other micro-batch's kernels may still overlap PIM work issued from here on; none of
  // that work starts before the earliest micro-batch clock.
  sim_time_t oldest = kTimeNever;
  for (const auto& b : mb_) oldest = std::min(oldest, b.clock_ps);
  std::erase_if(gpu_streams_, [&](const auto& k) { return k.second <= oldest; });
}

void Node::dispatch(const EngineContext& ctx, std::int64_t layer, std::int64_t mb, Outbox& out) {
  if (failed_) return;
  cur_ = static_cast<std::size_t>(mb);
  MicroBatch& b = cur();
  const sim_time_t t = std::max(b.attention_ready_ps, gpu_ready()) + b.after_ps;
  gpu_free_ps_ = t;
  b.row.gpu_busy_ps += b.after_ps;
  b.row.attention_end_ps = t;
  // Shared experts run on the home GPU while the routed tokens are away; they are queued after
  // the expert scheduler's decision (run_experts), which is on the PIM's critical path.
  b.shared_ps = b.tokens() > 0 || mb_.size() == 1 ? costs_->shared_experts_ps(b.tokens()) : 0;
  if (b.shared_ps > 0) b.row.energy.add(ctx.sys.costs->shared_experts_energy(b.tokens()));
  b.shared_end_ps = t;
  if (ctx.counts) return route_counts(ctx, layer, out);
  route_tokens(ctx, layer);
  send_dispatch(ctx, out);
}

void Node::route_tokens(const EngineContext& ctx, std::int64_t layer) {
  MicroBatch& b = cur();
  const auto& slots = batch_.tokens();
  const auto pairs = static_cast<std::size_t>(b.tokens() * k_);
  b.routed.resize(pairs);
  b.routed_node.resize(pairs);
  const auto nodes = static_cast<std::size_t>(ctx.sys.cfg.nodes);
  DispatchScratch& x = *ctx.scratch;
  if (x.sent_to.size() != nodes) {
    // Per-destination counters, kept across layers and nodes and reset only where touched: a
    // dispatch costs its pairs, not the cluster's size (thousands of nodes).
    x.sent_to.assign(nodes, 0);
    x.tokens_to.assign(nodes, 0);
    x.last_slot.assign(nodes, -1);
  }
  auto& sent_to = x.sent_to;
  auto& tokens_to = x.tokens_to;
  auto& last_slot = x.last_slot;
  dests_.clear();
  const DispatchView view{id_, ctx.sys.cfg.gpus_per_server, sent_to};
  b.pairs_fingerprint = 0;
  b.pairs_dropped = 0;
  for (std::int64_t s = b.lo; s < b.hi; ++s) {
    const auto su = static_cast<std::size_t>(s);
    const std::size_t base = static_cast<std::size_t>(s - b.lo) * static_cast<std::size_t>(k_);
    std::span<std::int32_t> ex(b.routed.data() + base, static_cast<std::size_t>(k_));
    ctx.sys.routing->route(
        RouteKey{slots[su].request, slots[su].position, static_cast<std::uint32_t>(layer)}, ex,
        gates_);
    for (std::size_t j = 0; j < static_cast<std::size_t>(k_); ++j) {
      const std::int32_t e = ex[j];
      const auto replicas = ctx.map.replicas(layer, e);
      if (replicas.empty()) {  // its last copy was on a failed node: the pair is dropped
        b.routed_node[base + j] = -1;
        ++b.pairs_dropped;
        continue;
      }
      const std::int32_t node = replicas.size() == 1 ? replicas[0]
                                                     : ctx.sys.replica_dispatch->pick(
                                                           replicas, e, slots[su].request, view);
      const auto n = static_cast<std::size_t>(node);
      b.routed_node[base + j] = node;
      if (sent_to[n]++ == 0) dests_.push_back(node);
      b.pairs_fingerprint += pair_hash(static_cast<std::int32_t>(s), e, node);
      // A token goes once to each destination, however many of its experts live there (or once
      // per expert with low-latency kernels).
      if (last_slot[n] != static_cast<std::int32_t>(s) || ctx.sys.cfg.dispatch_per_expert) {
        last_slot[n] = static_cast<std::int32_t>(s);
        ++tokens_to[n];
      }
    }
  }
  b.pairs_out = static_cast<std::int64_t>(pairs) - b.pairs_dropped;
}

// One message per destination, in ascending destination order; the records of each keep the
// token order (a counting sort over the destinations touched).
void Node::send_dispatch(const EngineContext& ctx, Outbox& out) {
  MicroBatch& b = cur();
  const sim_time_t route_ps = b.row.attention_end_ps;
  std::sort(dests_.begin(), dests_.end());
  auto& sent_to = ctx.scratch->sent_to;
  const double token_bytes = ctx.sys.model.token_bytes();
  const std::size_t first_head = out.heads.size();
  std::size_t at = out.recs.size();
  std::vector<OutMessage> msgs;
  msgs.reserve(dests_.size());
  for (const auto d : dests_) {
    const auto n = static_cast<std::size_t>(d);
    MessageHeader h;
    h.route_ps = route_ps;
    h.records = sent_to[n];
    h.src = id_;
    h.dst = d;
    out.heads.push_back(h);
    msgs.push_back(
        OutMessage{d, static_cast<double>(ctx.scratch->tokens_to[n]) * token_bytes, route_ps});
    // From here on sent_to is the destination's write position, last_slot is reset.
    sent_to[n] = static_cast<std::int64_t>(at);
    at += static_cast<std::size_t>(h.records);
    ctx.scratch->tokens_to[n] = 0;
    ctx.scratch->last_slot[n] = -1;
  }
  out.recs.resize(at);
  for (std::size_t i = 0; i < b.routed.size(); ++i) {
    if (b.routed_node[i] < 0) continue;  // dropped
    auto& pos = sent_to[static_cast<std::size_t>(b.routed_node[i])];
    out.recs[static_cast<std::size_t>(pos++)] =
        TokenRecord{static_cast<std::int32_t>(
                        b.lo + static_cast<std::int64_t>(i / static_cast<std::size_t>(k_))),
                    b.routed[i]};
  }
  for (const auto d : dests_) sent_to[static_cast<std::size_t>(d)] = 0;
  send(ctx, msgs,
       std::span<MessageHeader>(out.heads.data() + first_head, out.heads.size() - first_head),
       CallKind::kDispatch);
  b.row.tokens_out = b.pairs_out;
  records_dispatched_ += b.pairs_out;
  records_dropped_ += b.pairs_dropped;
}

void Node::finish_row() {
  LayerRow& r = row();
  const sim_time_t span = r.end_ps - r.start_ps;
  r.gpu_idle_ps = std::max<sim_time_t>(0, span - r.gpu_busy_ps);
  r.pim_idle_ps = std::max<sim_time_t>(0, span - r.pim_busy_ps);
  r.static_pj = whole_pj(static_W_ * static_cast<double>(span));  // W x ps = pJ
  iter_.energy += r.energy;
  if (keep_layer_rows_) layer_rows_.push_back(r);
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
    if (m.dst == id_) continue;
    row().bytes_sent += static_cast<std::int64_t>(m.bytes);
    EnergyUse e;
    e.link_pj = m.bytes * topo.model(topo.fabric(id_, m.dst)).pj_per_byte();
    row().energy.add(e);
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

void Node::combine(const EngineContext& ctx, std::int64_t layer, std::int64_t mb,
                   std::span<const Message> in) {
  if (failed_) return;
  cur_ = static_cast<std::size_t>(mb);
  MicroBatch& b = cur();
  receive(ctx, in);
  sim_time_t end = std::max(b.shared_end_ps, b.row.attention_end_ps);
  for (std::size_t m = 0; m < in.size(); ++m) end = std::max(end, arrival_[m]);

  // Token conservation: the (token, expert, node) triples that come back must be the ones that
  // left, each once. Counting and summing a hash checks that per pair without a lookup.
  std::int64_t pairs = 0;
  std::uint64_t fingerprint = 0;
  for (const auto& m : in) {
    pairs += ctx.counts ? record_tokens(m.recs) : static_cast<std::int64_t>(m.recs.size());
    for (const auto& r : m.recs) {
      if (!ctx.counts && (r.slot < b.lo || r.slot >= b.hi))
        throw SimulationError("combine record for a token this micro-batch does not own");
      fingerprint += pair_hash(r.slot, r.expert, m.head.src);
    }
  }
  const std::string where = "node " + std::to_string(id_) + " layer " + std::to_string(layer) +
                            (mb_.size() > 1 ? " micro-batch " + std::to_string(mb) : "");
  if (pairs < b.pairs_out)
    throw SimulationError(where + ": " + std::to_string(b.pairs_out - pairs) +
                          " dispatched (token, expert) pairs never came back");
  if (pairs > b.pairs_out)
    throw SimulationError(where + ": " + std::to_string(pairs - b.pairs_out) +
                          " more (token, expert) pairs came back than were dispatched");
  if (fingerprint != b.pairs_fingerprint)
    throw SimulationError(where +
                          ": the (token, expert, node) pairs that came back are not the ones "
                          "dispatched (one lost and another duplicated or altered)");
  records_combined_ += pairs;
  // The weighted sum of the results and the residual add run on the home GPU once the last
  // result is in.
  const sim_time_t tail = b.tokens() > 0 || mb_.size() == 1 ? costs_->combine_ps(b.tokens()) : 0;
  if (tail > 0) {
    end = std::max(end, gpu_ready()) + tail;
    gpu_free_ps_ = end;
    b.row.gpu_busy_ps += tail;
    b.row.energy.add(ctx.sys.costs->combine_energy(b.tokens()));
  }
  b.row.end_ps = end;
  b.clock_ps = end;
  finish_row();
}

void Node::end_iteration(const EngineContext& ctx) {
  if (failed_) {
    finished_before_ = finished_.size();
    return;
  }
  // The LM head and sampling wait for every micro-batch's last layer.
  for (const auto& b : mb_) clock_ps_ = std::max(clock_ps_, b.clock_ps);
  if (mb_.size() > 1)
    // Micro-batches finish their layers interleaved; the rows stay in (layer, micro-batch) order.
    std::stable_sort(layer_rows_.begin() + static_cast<std::ptrdiff_t>(rows_before_),
                     layer_rows_.end(), [](const LayerRow& x, const LayerRow& y) {
                       return std::make_pair(x.layer, x.micro_batch) <
                              std::make_pair(y.layer, y.micro_batch);
                     });
  // Only the tokens that yield an output token go through the final norm, the LM head and
  // sampling.
  const sim_time_t head = costs_->iteration_tail_ps(batch_.emitting());
  clock_ps_ = std::max(clock_ps_, head > 0 ? gpu_ready() : clock_ps_) + head;
  if (head > 0) gpu_free_ps_ = clock_ps_;
  iter_.energy.add(ctx.sys.costs->iteration_tail_energy(batch_.emitting()));
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
