#include "engine/node.hpp"

#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "workload/routing.hpp"

namespace sievesim {
namespace {

// Groups consecutive records with the same `key` (the input is sorted by it) into messages.
template <class Key>
void for_each_group(std::span<const TokenRecord> recs, Key key,
                    const std::function<void(std::size_t, std::size_t)>& fn) {
  std::size_t b = 0;
  while (b < recs.size()) {
    std::size_t e = b + 1;
    while (e < recs.size() && key(recs[e]) == key(recs[b])) ++e;
    fn(b, e);
    b = e;
  }
}

// The incoming messages of a phase, one per sending node, as the records describe them.
template <class SenderFn>
std::vector<InMessage> incoming(std::span<const TokenRecord> in, SenderFn sender) {
  std::vector<InMessage> msgs;
  for_each_group(in, sender, [&](std::size_t b, std::size_t) {
    msgs.push_back(InMessage{sender(in[b]), static_cast<double>(in[b].msg_bytes), in[b].eg_start_ps,
                             in[b].eg_end_ps});
  });
  return msgs;
}

std::int64_t unique_slots(std::span<const TokenRecord> recs) {
  // Records of one message keep their sender's order (slot by slot), so distinct slots are runs.
  std::int64_t n = 0;
  for (std::size_t i = 0; i < recs.size(); ++i)
    if (i == 0 || recs[i].slot != recs[i - 1].slot || recs[i].home_node != recs[i - 1].home_node)
      ++n;
  return n;
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
  if (on_pim && a.pim_ps > 0) {
    t = std::max(t, pim_ready()) + a.pim_ps;
    pim_free_ps_ = t;
  }
  t += router;
  gpu_free_ps_ = t;
  row_.gpu_busy_ps += a.gpu_ps + router;
  row_.pim_busy_ps += a.pim_ps;
  row_.attention_end_ps = t;
  return a.pim_ps;
}

void Node::dispatch(const EngineContext& ctx, std::int64_t layer, std::vector<TokenRecord>& out) {
  attention_phase(ctx, layer);
  const auto batch = tokens_;
  const auto& slots = batch_.tokens();
  const sim_time_t route_ps = row_.attention_end_ps;

  // Shared experts run on the home GPU while the routed tokens are away; they are queued after
  // the expert scheduler's decision (run_experts), which is on the PIM's critical path.
  shared_ps_ = ctx.costs.shared_experts_ps(batch);
  shared_end_ps_ = route_ps;

  routed_.resize(static_cast<std::size_t>(batch * k_));
  gates_.resize(routed_.size());
  returned_.assign(routed_.size(), 0);
  const auto nodes = ctx.x.nodes;
  std::vector<std::int64_t> tokens_to(static_cast<std::size_t>(nodes), 0);
  std::vector<std::int32_t> last_slot(static_cast<std::size_t>(nodes), -1);
  std::vector<std::int64_t> sent_to(static_cast<std::size_t>(nodes), 0);
  const DispatchView view{id_, ctx.x.gpus_per_server, sent_to};
  const std::size_t first = out.size();
  for (std::int64_t s = 0; s < batch; ++s) {
    const auto su = static_cast<std::size_t>(s);
    std::span<std::int32_t> ex(routed_.data() + su * k_, static_cast<std::size_t>(k_));
    std::span<float> g(gates_.data() + su * k_, static_cast<std::size_t>(k_));
    ctx.x.routing->route(
        RouteKey{slots[su].request, slots[su].position, static_cast<std::uint32_t>(layer)}, ex, g);
    for (std::int64_t j = 0; j < k_; ++j) {
      TokenRecord r;
      r.route_ps = route_ps;
      r.request = slots[su].request;
      r.home_node = id_;
      r.slot = static_cast<std::int32_t>(s);
      r.expert = ex[static_cast<std::size_t>(j)];
      r.gate = g[static_cast<std::size_t>(j)];
      const auto replicas = ctx.map.replicas(layer, r.expert);
      r.expert_node = replicas.size() == 1
                          ? replicas[0]
                          : ctx.x.replica_dispatch->pick(replicas, r.expert, r.request, view);
      ++sent_to[static_cast<std::size_t>(r.expert_node)];
      // A token goes once to each destination, however many of its experts live there (or once
      // per expert with low-latency kernels).
      auto& last = last_slot[static_cast<std::size_t>(r.expert_node)];
      if (last != r.slot || ctx.x.dispatch_per_expert) {
        last = r.slot;
        ++tokens_to[static_cast<std::size_t>(r.expert_node)];
      }
      out.push_back(r);
    }
  }
  const double token_bytes = ctx.x.model.token_bytes();
  std::vector<OutMessage> msgs;
  for (std::int64_t n = 0; n < nodes; ++n)
    if (tokens_to[static_cast<std::size_t>(n)] > 0)
      msgs.push_back(OutMessage{
          static_cast<std::int32_t>(n),
          static_cast<double>(tokens_to[static_cast<std::size_t>(n)]) * token_bytes, route_ps});
  send(ctx, msgs, std::span<TokenRecord>(out.data() + first, out.size() - first),
       [](const TokenRecord& r) { return r.expert_node; });
  row_.tokens_out = static_cast<std::int64_t>(out.size() - first);
  records_dispatched_ += row_.tokens_out;
}

void Node::finish_row() {
  const sim_time_t span = row_.end_ps - row_.start_ps;
  row_.gpu_idle_ps = std::max<sim_time_t>(0, span - row_.gpu_busy_ps);
  row_.pim_idle_ps = std::max<sim_time_t>(0, span - row_.pim_busy_ps);
  layer_rows_.push_back(row_);
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

template <class DestFn>
void Node::send(const EngineContext& ctx, std::vector<OutMessage>& msgs,
                std::span<TokenRecord> recs, DestFn dest) {
  ports_.send(id_, ctx.x.nodes, msgs, ctx.topo);
  std::vector<const OutMessage*> by_dst(static_cast<std::size_t>(ctx.x.nodes), nullptr);
  for (const auto& m : msgs) {
    by_dst[static_cast<std::size_t>(m.dst)] = &m;
    if (m.dst != id_) row_.bytes_sent += static_cast<std::int64_t>(m.bytes);
  }
  // Every record carries the timing of the message it travels in.
  for (auto& r : recs) {
    const OutMessage& m = *by_dst[static_cast<std::size_t>(dest(r))];
    r.eg_start_ps = m.eg_start_ps;
    r.eg_end_ps = m.eg_end_ps;
    r.msg_bytes = static_cast<std::int64_t>(m.bytes);
  }
}

void Node::run_experts(const EngineContext& ctx, std::int64_t layer,
                       std::span<const TokenRecord> in, std::vector<TokenRecord>& out) {
  const Topology& topo = ctx.topo;
  // Arrival of every incoming message (one per source node).
  std::vector<InMessage> msgs = incoming(in, [](const TokenRecord& r) { return r.home_node; });
  ports_.receive(id_, msgs, topo);
  std::vector<sim_time_t> arrival(static_cast<std::size_t>(ctx.x.nodes), 0);
  // The scheduler's communication estimate uses only what the token counts tell: the bytes each
  // source sends, serialized on this node's ingress, plus a hop; the combine mirrors it.
  sim_time_t comm_bytes_ps = 0, comm_latency_ps = 0;
  for (const auto& m : msgs) {
    arrival[static_cast<std::size_t>(m.src)] = m.arrival_ps;
    if (m.src != id_) {
      const FabricModel& f = topo.model(topo.fabric(m.src, id_));
      comm_bytes_ps += f.transfer_ps(m.bytes);
      comm_latency_ps = std::max(comm_latency_ps, f.latency_ps());
    }
  }

  // Tokens per active local expert and when the last of them arrived.
  std::vector<ExpertLoad> loads;
  sim_time_t counts_known = row_.attention_end_ps;
  sim_time_t dispatch_end = row_.attention_end_ps;
  for (const auto& r : in) {
    const auto replicas = ctx.map.replicas(layer, r.expert);
    if (r.expert_node != id_ || std::find(replicas.begin(), replicas.end(), id_) == replicas.end())
      throw SimulationError("token for expert " + std::to_string(r.expert) + " delivered to node " +
                            std::to_string(id_) + ", which does not hold it");
    auto& idx = expert_index_[static_cast<std::size_t>(r.expert)];
    if (idx < 0) {
      idx = static_cast<std::int32_t>(loads.size());
      loads.push_back(ExpertLoad{r.expert, 0, 0});
    }
    auto& l = loads[static_cast<std::size_t>(idx)];
    ++l.tokens;
    l.ready_ps = std::max(l.ready_ps, arrival[static_cast<std::size_t>(r.home_node)]);
    counts_known = std::max(counts_known, r.route_ps);
    dispatch_end = std::max(dispatch_end, l.ready_ps);
  }
  // The scheduler sees experts in ascending id, whatever order tokens arrived in.
  std::sort(loads.begin(), loads.end(),
            [](const ExpertLoad& a, const ExpertLoad& b) { return a.expert < b.expert; });
  for (std::size_t i = 0; i < loads.size(); ++i)
    expert_index_[static_cast<std::size_t>(loads[i].expert)] = static_cast<std::int32_t>(i);
  row_.dispatch_end_ps = dispatch_end;
  row_.tokens_in = static_cast<std::int64_t>(in.size());

  const ModelSpec& model = ctx.x.model;
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
    decided = std::max(gpu_ready(), counts_known) + split.decision_ps;
    gpu_free_ps_ = decided;
    row_.sched_ps = split.decision_ps;
    row_.gpu_busy_ps += split.decision_ps;
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
      const sim_time_t dur =
          ctx.x.pim->expert_ps(model.expert, l.tokens, grouped ? split.group_channels : 0);
      sim_time_t* clock = &t;
      if (grouped) {
        const auto g = static_cast<std::size_t>(split.pim_group[k]);
        if (g >= group_t.size()) {
          group_t.resize(g + 1, pim_start);
          group_busy.resize(g + 1, 0);
        }
        clock = &group_t[g];
        group_busy[g] += dur;
      } else {
        row_.pim_busy_ps += dur;
      }
      *clock = pim_run(std::max(*clock, l.ready_ps), dur);
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

  // Combine: one message per home node, leaving when the experts it carries results of are done.
  const double token_bytes = model.token_bytes();
  std::vector<OutMessage> back;
  for_each_group(
      in, [](const TokenRecord& r) { return r.home_node; },
      [&](std::size_t b, std::size_t e) {
        sim_time_t ready = 0;
        for (std::size_t i = b; i < e; ++i)
          ready = std::max(ready, done[static_cast<std::size_t>(
                                      expert_index_[static_cast<std::size_t>(in[i].expert)])]);
        const auto n = ctx.x.dispatch_per_expert ? static_cast<std::int64_t>(e - b)
                                                 : unique_slots(in.subspan(b, e - b));
        back.push_back(OutMessage{in[b].home_node, static_cast<double>(n) * token_bytes, ready});
      });
  const std::size_t first = out.size();
  out.insert(out.end(), in.begin(), in.end());
  send(ctx, back, std::span<TokenRecord>(out.data() + first, in.size()),
       [](const TokenRecord& r) { return r.home_node; });
  for (const auto& l : loads) expert_index_[static_cast<std::size_t>(l.expert)] = -1;
}

void Node::combine(const EngineContext& ctx, std::int64_t layer, std::span<const TokenRecord> in) {
  std::vector<InMessage> msgs = incoming(in, [](const TokenRecord& r) { return r.expert_node; });
  ports_.receive(id_, msgs, ctx.topo);
  sim_time_t end = std::max(shared_end_ps_, row_.attention_end_ps);
  for (const auto& m : msgs) end = std::max(end, m.arrival_ps);

  // Token conservation: each (token, expert) pair dispatched comes back exactly once.
  const auto& slots = batch_.tokens();
  for (const auto& r : in) {
    if (r.home_node != id_ || r.slot < 0 || r.slot >= tokens_ ||
        r.request != slots[static_cast<std::size_t>(r.slot)].request)
      throw SimulationError("combine record for a token this node does not own");
    if (!ctx.map.holds(layer, r.expert, r.expert_node))
      throw SimulationError("combine record from a node that does not hold the expert");
    const auto base = static_cast<std::size_t>(r.slot) * static_cast<std::size_t>(k_);
    std::int64_t j = 0;
    while (j < k_ && routed_[base + static_cast<std::size_t>(j)] != r.expert) ++j;
    if (j == k_)
      throw SimulationError("combine returned expert " + std::to_string(r.expert) + " that token " +
                            std::to_string(r.slot) + " did not select");
    if (returned_[base + static_cast<std::size_t>(j)]++)
      throw SimulationError("combine returned a (token, expert) pair twice");
  }
  for (std::size_t i = 0; i < returned_.size(); ++i)
    if (!returned_[i])
      throw SimulationError("node " + std::to_string(id_) + " layer " + std::to_string(layer) +
                            ": a dispatched (token, expert) pair never came back");
  records_combined_ += static_cast<std::int64_t>(in.size());
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
  // Only the tokens that yield an output token go through the LM head and sampling.
  const sim_time_t head = ctx.costs.lm_head_ps(batch_.emitting());
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
