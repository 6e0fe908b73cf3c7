// The count engine's dispatch (`system.engine: counts`): a micro-batch's tokens per expert come
// from the count router (count_routing.hpp) and leave as one (tokens, expert) record per expert
// copy, one message per destination node with the same header, timing and port model as the
// token engine's (node.cpp). A message's simulated bytes are its distinct tokens, estimated from
// its records (CountRouter::distinct_tokens), since which tokens share a destination is not
// drawn.
#include <algorithm>

#include "engine/count_routing.hpp"
#include "engine/node.hpp"

namespace sievesim {

void Node::route_counts(const EngineContext& ctx, std::int64_t layer, Outbox& out) {
  MicroBatch& b = cur();
  CountRouter& router = *ctx.counts;
  const auto& all = batch_.tokens();
  const auto counts = router.route(
      id_, iter_.iteration, layer, static_cast<std::int64_t>(cur_),
      std::span<const TokenSlot>(all.data() + b.lo, static_cast<std::size_t>(b.tokens())));
  DispatchScratch& x = *ctx.scratch;
  const auto nodes = static_cast<std::size_t>(ctx.sys.cfg.nodes);
  if (x.sent_to.size() != nodes) {
    x.sent_to.assign(nodes, 0);
    x.tokens_to.assign(nodes, 0);
    x.last_slot.assign(nodes, -1);
  }
  std::vector<double>& miss = router.scratch.miss;
  if (miss.size() != nodes) miss.assign(nodes, 0.0);
  // First the (destination, tokens, expert) records in expert order, counting records and pairs
  // per destination (sent_to, tokens_to); then a counting sort by destination.
  std::vector<TokenRecord>& recs = router.scratch.recs;
  std::vector<std::int32_t>& dest = router.scratch.dest;
  recs.clear();
  dest.clear();
  dests_.clear();
  for (std::size_t e = 0; e < counts.size(); ++e) {
    if (counts[e] == 0) continue;
    const auto expert = static_cast<std::int32_t>(e);
    const auto replicas = ctx.map.replicas(layer, expert);
    std::vector<std::int32_t>& share = router.scratch.share;
    share.resize(replicas.size());
    if (replicas.size() == 1)
      share[0] = counts[e];
    else
      router.split(counts[e], share);
    for (std::size_t i = 0; i < share.size(); ++i) {
      if (share[i] == 0) continue;
      const auto n = static_cast<std::size_t>(replicas[i]);
      if (x.sent_to[n]++ == 0) dests_.push_back(replicas[i]);
      x.tokens_to[n] += share[i];
      miss[n] += router.log_miss(share[i], b.tokens());
      recs.push_back(TokenRecord{share[i], expert});
      dest.push_back(replicas[i]);
    }
  }
  std::sort(dests_.begin(), dests_.end());
  const sim_time_t route_ps = b.row.attention_end_ps;
  const double token_bytes = ctx.sys.model.token_bytes();
  const std::size_t first_head = out.heads.size();
  std::size_t at = out.recs.size();
  std::vector<OutMessage> msgs;
  msgs.reserve(dests_.size());
  b.pairs_out = 0;
  b.pairs_fingerprint = 0;
  for (const auto d : dests_) {
    const auto n = static_cast<std::size_t>(d);
    MessageHeader h;
    h.route_ps = route_ps;
    h.records = x.sent_to[n];
    h.src = id_;
    h.dst = d;
    out.heads.push_back(h);
    const std::int64_t pairs = x.tokens_to[n];
    b.pairs_out += pairs;
    msgs.push_back(OutMessage{
        d, static_cast<double>(router.distinct_tokens(pairs, miss[n], b.tokens())) * token_bytes,
        route_ps});
    miss[n] = 0;
    x.sent_to[n] = static_cast<std::int64_t>(at);  // from here on: the write position
    at += static_cast<std::size_t>(h.records);
    x.tokens_to[n] = 0;
  }
  out.recs.resize(at);
  for (std::size_t i = 0; i < recs.size(); ++i) {
    out.recs[static_cast<std::size_t>(x.sent_to[static_cast<std::size_t>(dest[i])]++)] = recs[i];
    b.pairs_fingerprint += pair_hash(recs[i].slot, recs[i].expert, dest[i]);
  }
  for (const auto d : dests_) x.sent_to[static_cast<std::size_t>(d)] = 0;
  send(ctx, msgs,
       std::span<MessageHeader>(out.heads.data() + first_head, out.heads.size() - first_head),
       CallKind::kDispatch);
  b.row.tokens_out = b.pairs_out;
  records_dispatched_ += b.pairs_out;
}

}  // namespace sievesim
