// The expert step of an MoE layer on the experts' node, in four stages: receive the dispatched
// tokens and count them per expert; decide (the scheduler's split and when its decision is
// known); execute (the shared experts, then the scheduler's execution strategy on the node's
// devices); send the results back.
#include <algorithm>
#include <string>

#include "base/error.hpp"
#include "engine/node.hpp"

namespace sievesim {
namespace {

std::int64_t unique_slots(std::span<const TokenRecord> recs) {
  // A message's records keep their sender's order (slot by slot), so distinct slots are runs.
  std::int64_t n = 0;
  for (std::size_t i = 0; i < recs.size(); ++i)
    if (i == 0 || recs[i].slot != recs[i - 1].slot) ++n;
  return n;
}

}  // namespace

void Node::run_experts(const EngineContext& ctx, std::int64_t layer, std::int64_t mb,
                       std::span<const Message> in, Outbox& out) {
  if (failed_) return;  // it holds no experts: nothing was sent to it
  // This node's own row of the micro-batch's layer records the expert work it hosts.
  cur_ = static_cast<std::size_t>(mb);
  receive(ctx, in);
  const ExpertArrivals a = count_arrivals(ctx, layer, in);
  const ModelSpec& model = ctx.sys.model;
  // Attention "already on the PIM" is the PIM work still queued when the experts could start:
  // time the PIM cannot give to experts. Attention that has finished by then is on the critical
  // path before every split alike and must not bias the split.
  const sim_time_t pim_queued = std::max<sim_time_t>(0, pim_ready() - a.counts_known_ps);
  // The split runs on the node's devices as they are (`sin`); the scheduler plans it with the
  // models it was told about (`plan`: the nominal ones for a straggler, unless speed-aware).
  const SchedulerInput sin{layer, a.loads, model.expert, model.activation_dtype,
                           *gpu_, *pim_,   a.comm_ps,    pim_queued};
  const SchedulerInput plan{layer,      a.loads,    model.expert, model.activation_dtype,
                            *plan_gpu_, *plan_pim_, a.comm_ps,    pim_queued};
  sim_time_t decided = a.counts_known_ps;
  const ExpertSplit split = decide(plan, decided);
  run_shared_experts();
  std::vector<sim_time_t> done(a.loads.size(), 0);
  row().experts_end_ps = std::max(a.dispatch_end_ps, execute(sin, split, a, decided, done));
  send_combine(ctx, in, done, out);
  for (const auto& l : a.loads) expert_index_[static_cast<std::size_t>(l.expert)] = -1;
}

ExpertArrivals Node::count_arrivals(const EngineContext& ctx, std::int64_t layer,
                                    std::span<const Message> in) {
  const Topology& topo = *ctx.sys.topology;
  ExpertArrivals a;
  a.counts_known_ps = a.dispatch_end_ps = row().attention_end_ps;
  // The scheduler's communication estimate uses only what the token counts tell: the bytes each
  // source sends, serialized on this node's ingress, plus a hop; the combine mirrors it.
  sim_time_t bytes_ps = 0, latency_ps = 0;
  std::int64_t tokens_in = 0;
  for (std::size_t m = 0; m < in.size(); ++m) {
    const MessageHeader& h = in[m].head;
    if (h.src != id_) {
      const FabricModel& f = topo.model(topo.fabric(h.src, id_));
      bytes_ps += f.transfer_ps(static_cast<double>(h.bytes));
      latency_ps = std::max(latency_ps, f.latency_ps());
    }
    a.counts_known_ps = std::max(a.counts_known_ps, h.route_ps);
    for (const auto& r : in[m].recs) {
      const std::int32_t tokens = ctx.counts ? r.slot : 1;  // a count record or a token's
      auto& idx = expert_index_[static_cast<std::size_t>(r.expert)];
      if (idx < 0) {
        if (!ctx.map.holds(layer, r.expert, id_))
          throw SimulationError("token for expert " + std::to_string(r.expert) +
                                " delivered to node " + std::to_string(id_) +
                                ", which does not hold it");
        idx = static_cast<std::int32_t>(a.loads.size());
        a.loads.push_back(ExpertLoad{r.expert, 0, 0});
      }
      auto& l = a.loads[static_cast<std::size_t>(idx)];
      l.tokens += tokens;
      tokens_in += tokens;
      l.ready_ps = std::max(l.ready_ps, arrival_[m]);
      a.dispatch_end_ps = std::max(a.dispatch_end_ps, l.ready_ps);
    }
  }
  // The calls' fixed costs (launch, signalling) are left out: they come before the first byte
  // and after the last whatever the split, so they overlap no expert and a max() with them
  // would only stop the greedy early.
  a.comm_ps = bytes_ps > 0 ? 2 * (bytes_ps + latency_ps) : 0;
  // The scheduler sees experts in ascending id, whatever order tokens arrived in.
  std::sort(a.loads.begin(), a.loads.end(),
            [](const ExpertLoad& x, const ExpertLoad& y) { return x.expert < y.expert; });
  for (std::size_t i = 0; i < a.loads.size(); ++i)
    expert_index_[static_cast<std::size_t>(a.loads[i].expert)] = static_cast<std::int32_t>(i);
  if (!a.loads.empty() && sched_->uses_local_index()) {
    // The node's own numbering of its experts: rank among the experts it holds in this layer.
    const auto held = ctx.map.local_experts(layer, id_);
    for (auto& l : a.loads)
      l.local = static_cast<std::int32_t>(std::lower_bound(held.begin(), held.end(), l.expert) -
                                          held.begin());
  }
  row().dispatch_end_ps = a.dispatch_end_ps;
  row().tokens_in = tokens_in;
  return a;
}

ExpertSplit Node::decide(const SchedulerInput& sin, sim_time_t& decided_ps) {
  ExpertSplit split;
  if (sin.experts.empty()) return split;
  split = sched_->split(sin);
  // A decision, if the scheduler makes one on the GPU, runs once the counts are known (the
  // all-gather after routing).
  if (split.decision_ps > 0) {
    // The decision kernel runs on this node's GPU, at its speed.
    split.decision_ps = slowed_ps(split.decision_ps, slow_gpu_ ? slow_gpu_->factor() : 1.0);
    row().sched_ps = split.decision_ps;
    if (split.decision_blocks_gpu) {
      decided_ps = std::max(gpu_ready(), decided_ps) + split.decision_ps;
      gpu_free_ps_ = decided_ps;
      row().gpu_busy_ps += split.decision_ps;
    } else {
      // A side stream: the kernel takes a few SMs beside whatever the compute stream runs, so
      // it neither waits for the GPU nor holds it; only the routed GEMM waits for its answer.
      decided_ps += split.decision_ps;
    }
  }
  return split;
}

// The shared experts run on the home GPU while the routed tokens are away, queued after the
// scheduler's decision (which is on the PIM's critical path).
void Node::run_shared_experts() {
  MicroBatch& b = cur();
  if (b.shared_ps > 0) b.shared_end_ps = gpu_kernel(b.row.attention_end_ps, b.shared_ps);
}

sim_time_t Node::execute(const SchedulerInput& sin, const ExpertSplit& split,
                         const ExpertArrivals& a, sim_time_t decided_ps,
                         std::vector<sim_time_t>& done) {
  if (a.loads.empty()) return a.dispatch_end_ps;
  // Without overlap nothing starts before every token is in, and every result waits for the
  // last expert.
  const bool overlap = sched_->overlap();
  const sim_time_t barrier = overlap ? decided_ps : std::max(decided_ps, a.dispatch_end_ps);
  const sim_time_t pim_barrier = overlap && split.pim_before_decision ? a.counts_known_ps : barrier;
  const sim_time_t end = std::max(
      a.dispatch_end_ps, sched_->execute(Execution{sin, split, barrier, pim_barrier, done}, *this));
  if (!overlap) std::fill(done.begin(), done.end(), end);
  return end;
}

// One message back to each home node, leaving when the experts it carries results of are
// done; its records are the ones that came (ascending home node, as `in`).
void Node::send_combine(const EngineContext& ctx, std::span<const Message> in,
                        std::span<const sim_time_t> done, Outbox& out) {
  const double token_bytes = ctx.sys.model.token_bytes();
  std::vector<OutMessage> back;
  back.reserve(in.size());
  const std::size_t first_head = out.heads.size();
  for (const auto& m : in) {
    sim_time_t ready = 0;
    for (const auto& r : m.recs)
      ready = std::max(
          ready, done[static_cast<std::size_t>(expert_index_[static_cast<std::size_t>(r.expert)])]);
    // The count engine's results go back as the tokens came (its records are not tokens).
    const auto n = ctx.sys.cfg.dispatch_per_expert ? static_cast<std::int64_t>(m.recs.size())
                                                   : unique_slots(m.recs);
    back.push_back(OutMessage{
        m.head.src,
        ctx.counts ? static_cast<double>(m.head.bytes) : static_cast<double>(n) * token_bytes,
        ready});
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
}

// --- NodeDevices ---------------------------------------------------------------------------

sim_time_t Node::gpu_kernel(sim_time_t ready_ps, sim_time_t dur_ps) {
  const sim_time_t end = std::max(gpu_ready(), ready_ps) + dur_ps;
  gpu_streams_.emplace_back(end - dur_ps, end);
  gpu_free_ps_ = end;
  row().gpu_busy_ps += dur_ps;
  return end;
}

sim_time_t Node::pim_ready() const {
  return contention_ == Contention::kExclusive ? std::max(gpu_free_ps_, pim_free_ps_)
                                               : pim_free_ps_;
}

sim_time_t Node::pim_work(sim_time_t start_ps, sim_time_t dur_ps) const {
  sim_time_t end = start_ps + dur_ps;
  if (contention_ != Contention::kShared) return end;
  // With one row buffer the controller serves the GPU first: PIM work stalls for as long as it
  // overlaps a GPU kernel streaming from the same stacks (intervals in time order).
  for (const auto& [a, b] : gpu_streams_)
    if (a < end && b > start_ps) end += std::min(b, end) - std::max(a, start_ps);
  return end;
}

void Node::pim_finished(sim_time_t end_ps, sim_time_t busy_ps) {
  pim_free_ps_ = std::max(pim_free_ps_, end_ps);
  row().pim_busy_ps += busy_ps;
}

void Node::spend(const EnergyUse& e) {
  row().energy.add(e);
}

void Node::count(bool on_pim, std::int64_t experts, std::int64_t tokens) {
  (on_pim ? row().experts_pim : row().experts_gpu) += experts;
  (on_pim ? row().tokens_pim : row().tokens_gpu) += tokens;
}

}  // namespace sievesim
