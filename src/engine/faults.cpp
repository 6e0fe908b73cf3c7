#include "engine/faults.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/rng.hpp"
#include "engine/coordinator.hpp"
#include "engine/node.hpp"
#include "mpi/gather.hpp"

namespace sievesim {
namespace {

// A mean-one lognormal factor exp(sigma z - sigma^2 / 2), z standard normal (Box-Muller on one
// keyed stream), so jitter slows some iterations and speeds others without moving the mean.
double lognormal(std::uint64_t seed, std::int64_t node, std::int64_t it, std::uint32_t device,
                 double sigma) {
  if (sigma <= 0) return 1.0;
  RandomStream rng(stream_seed(seed, StreamId::kStragglers), static_cast<std::uint32_t>(node),
                   static_cast<std::uint32_t>(it), device);
  const double u1 = 1.0 - rng.next_double(), u2 = rng.next_double();  // u1 in (0, 1]
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  return std::exp(sigma * z - 0.5 * sigma * sigma);
}

}  // namespace

FaultInjector::FaultInjector(const System& sys)
    : sys_(sys),
      cfg_(sys.cfg.faults),
      down_(static_cast<std::size_t>(sys.cfg.nodes), 0),
      failed_done_(cfg_.failures.size(), 0),
      rejoin_done_(cfg_.failures.size(), 0) {}

double FaultInjector::gpu_factor(std::int64_t node, std::int64_t it) const {
  return cfg_.gpu_factor(node) *
         lognormal(sys_.cfg.workload.seed, node, it, 0, cfg_.gpu_jitter_sigma);
}

double FaultInjector::pim_factor(std::int64_t node, std::int64_t it) const {
  return cfg_.pim_factor(node) *
         lognormal(sys_.cfg.workload.seed, node, it, 1, cfg_.pim_jitter_sigma);
}

std::vector<FaultInjector::Event> FaultInjector::due(std::int64_t iteration, sim_time_t now_ps) {
  std::vector<Event> out;
  auto reached = [&](std::int64_t at_it, sim_time_t at_ps) {
    return (at_it >= 0 && iteration >= at_it) || (at_ps >= 0 && now_ps >= at_ps);
  };
  for (std::size_t i = 0; i < cfg_.failures.size(); ++i) {
    const NodeFailure& f = cfg_.failures[i];
    const auto n = static_cast<std::size_t>(f.node);
    if (!failed_done_[i] && reached(f.at_iteration, f.at_ps)) {
      failed_done_[i] = 1;
      down_[n] = 1;
      out.push_back(Event{f.node, false});
    } else if (failed_done_[i] && !rejoin_done_[i] && down_[n] &&
               reached(f.rejoin_iteration, f.rejoin_ps)) {
      // Not at the boundary it failed at: a rejoin follows a failure by at least an iteration.
      rejoin_done_[i] = 1;
      down_[n] = 0;
      out.push_back(Event{f.node, true});
    }
  }
  std::sort(out.begin(), out.end(), [](const Event& a, const Event& b) { return a.node < b.node; });
  return out;
}

ExpertMap FaultInjector::surviving(const ExpertMap& map) const {
  ExpertMap out(map.layers(), map.experts(), map.nodes());
  for (std::int64_t l = 0; l < map.layers(); ++l)
    for (std::int32_t e = 0; e < map.experts(); ++e)
      for (auto n : map.replicas(l, e))
        if (!down(n)) out.add_replica(l, e, n);
  return out;
}

ExpertMap FaultInjector::place(const ExpertMap& home, const ExpertMap& current,
                               std::span<const double> spare_bytes, std::int64_t& unplaced) const {
  const auto N = static_cast<std::size_t>(home.nodes());
  const double expert_bytes = sys_.model.expert.weight_bytes();
  ExpertMap out = surviving(home);
  unplaced = 0;
  std::vector<std::int64_t> room(N, 0), extra(N, 0), in_layer(N, 0);
  for (std::size_t n = 0; n < N; ++n)
    room[n] =
        down(static_cast<std::int32_t>(n))
            ? 0
            : static_cast<std::int64_t>(std::floor(std::max(0.0, spare_bytes[n]) / expert_bytes));
  for (std::int64_t l = 0; l < home.layers(); ++l) {
    const bool moe = sys_.model.layers[static_cast<std::size_t>(l)].moe;
    std::fill(in_layer.begin(), in_layer.end(), 0);
    for (std::int32_t e = 0; e < home.experts(); ++e)
      for (auto n : out.replicas(l, e)) ++in_layer[static_cast<std::size_t>(n)];
    for (std::int32_t e = 0; e < home.experts(); ++e) {
      if (!out.replicas(l, e).empty()) continue;
      std::int32_t pick = -1;
      if (!moe) {  // a dense layer's "experts" hold no weights: any node that is up will do
        for (std::size_t n = 0; n < N && pick < 0; ++n)
          if (!down(static_cast<std::int32_t>(n))) pick = static_cast<std::int32_t>(n);
      } else if (cfg_.replace_experts) {
        // A node that already holds it (an earlier recovery put it there) keeps it: no move.
        for (auto n : current.replicas(l, e))
          if (pick < 0 && !down(n) && room[static_cast<std::size_t>(n)] > 0) pick = n;
        // Else the fewest experts of this layer, then the fewest extra copies, then lowest id.
        for (std::size_t n = 0; n < N && !current.holds(l, e, pick); ++n) {
          if (room[n] <= 0) continue;
          const auto p = static_cast<std::size_t>(pick);
          if (pick < 0 || in_layer[n] < in_layer[p] ||
              (in_layer[n] == in_layer[p] && extra[n] < extra[p]))
            pick = static_cast<std::int32_t>(n);
        }
      }
      if (pick < 0) {
        if (moe) ++unplaced;
        continue;
      }
      out.add_replica(l, e, pick);
      const auto p = static_cast<std::size_t>(pick);
      ++in_layer[p];
      if (moe) --room[p], ++extra[p];
    }
  }
  return out;
}

Node* FaultScene::local(std::int32_t node) const {
  const auto i = node - first;
  return i >= 0 && i < static_cast<std::int64_t>(nodes.size()) ? &nodes[static_cast<std::size_t>(i)]
                                                               : nullptr;
}

void apply_fault_events(FaultInjector& inj, FaultScene& sc, std::int64_t it, sim_time_t now_ps,
                        std::vector<std::int64_t>& outstanding) {
  const auto events = inj.due(it, now_ps);
  if (events.empty()) return;
  const FaultConfig& fc = sc.sys.cfg.faults;
  // Every rank learns the lost requests (in node order: ranks host ascending node ranges) and
  // the KV every node has needed, which bounds what it can give to expert copies.
  std::vector<std::int64_t> lost_words, kv_words;
  for (const auto& e : events)
    if (Node* n = sc.local(e.node); n && !e.rejoin) {
      std::vector<RequestSpec> lost;
      n->fail(lost);
      for (const auto& r : lost)
        lost_words.insert(lost_words.end(),
                          {e.node, r.id, r.arrival_ps, r.prompt_tokens, r.output_tokens});
    }
  for (const auto& n : sc.nodes) kv_words.push_back(static_cast<std::int64_t>(n.kv_need_bytes()));
  const auto lost_all = allgather_words(lost_words, sc.comm);
  const auto kv_all = allgather_words(kv_words, sc.comm);
  std::vector<RequestSpec> lost;
  std::vector<std::int64_t> lost_of(static_cast<std::size_t>(sc.sys.cfg.nodes), 0);
  for (std::size_t i = 0; i + 5 <= lost_all.size(); i += 5) {
    lost.push_back(RequestSpec{lost_all[i + 1], lost_all[i + 2], lost_all[i + 3], lost_all[i + 4]});
    ++lost_of[static_cast<std::size_t>(lost_all[i])];
  }
  if (fc.on_failure == LostRequests::kRequeue) {
    sc.pool.requeue(lost);
  } else {
    sc.pool.drop(lost, now_ps);
  }
  bool failure = false;
  for (const auto& e : events) {
    sc.pool.set_down(e.node, !e.rejoin);
    failure = failure || !e.rejoin;
    if (!e.rejoin) outstanding[static_cast<std::size_t>(e.node)] = 0;
  }
  // The experts: home placement on the nodes that are up, lost copies re-placed where HBM
  // allows (expert slots the node left empty, then KV cache it has not needed so far).
  const double eb = sc.sys.model.expert.weight_bytes();
  std::vector<double> spare(static_cast<std::size_t>(sc.sys.cfg.nodes));
  for (std::int32_t n = 0; n < sc.sys.cfg.nodes; ++n)
    spare[static_cast<std::size_t>(n)] =
        static_cast<double>(sc.sys.expert_slots(n) -
                            expert_copies(sc.sys.expert_map, sc.sys.model, n)) *
            eb +
        sc.sys.kv_capacity_bytes(n) - static_cast<double>(kv_all[static_cast<std::size_t>(n)]);
  std::int64_t unplaced = 0;
  ExpertMap next = inj.place(sc.sys.expert_map, sc.placement, spare, unplaced);
  const ExpertMap from = inj.surviving(sc.placement);
  const PlacementRow moves = sc.coordinator.plan_migration(from, next, fc.reload_Bps);
  std::int64_t reloaded = 0;
  for (std::int64_t l = 0; l < next.layers(); ++l)
    if (sc.sys.model.layers[static_cast<std::size_t>(l)].moe)
      for (std::int32_t e = 0; e < next.experts(); ++e)
        if (from.replicas(l, e).empty() && !next.replicas(l, e).empty()) ++reloaded;
  const sim_time_t pause =
      failure ? fc.detection_ps + fc.recovery_pause_ps : fc.reintegration_pause_ps;
  const sim_time_t resume = now_ps + pause + moves.migration_ps;
  sc.placement = std::move(next);
  for (auto& n : sc.nodes) {
    const auto id = n.id();
    const auto extra = std::max<std::int64_t>(
        0, expert_copies(sc.placement, sc.sys.model, id) - sc.sys.expert_slots(id));
    n.set_kv_capacity(sc.sys.kv_capacity_bytes(id) - static_cast<double>(extra) * eb);
    n.wait_until(resume);
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (Node* n = sc.local(e.node); n && e.rejoin) n->rejoin(resume);
    FaultRow row;
    row.event = e.rejoin ? 1 : 0;
    row.node = e.node;
    row.iteration = it;
    row.at_ps = now_ps;
    row.pause_ps = pause;
    row.resume_ps = resume;
    row.requests_lost = lost_of[static_cast<std::size_t>(e.node)];
    row.experts_unplaced = unplaced;
    if (i == 0) {  // the boundary's weight moves, once
      row.migration_ps = moves.migration_ps;
      row.bytes_moved = moves.bytes_moved;
      row.bytes_reloaded = static_cast<std::int64_t>(static_cast<double>(reloaded) * eb);
      row.replicas_added = moves.replicas_added;
      row.replicas_removed = moves.replicas_removed;
    }
    sc.rows.push_back(row);
  }
}

}  // namespace sievesim
