#include "engine/faults.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/rng.hpp"

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

}  // namespace sievesim
