#include "place/placement.hpp"
#include "place/replica_dispatch.hpp"

#include <algorithm>
#include <string>

#include "base/error.hpp"
#include "base/select.hpp"

namespace sievesim {

ExpertMap::ExpertMap(std::int64_t layers, std::int64_t experts, std::int64_t nodes)
    : experts_(experts),
      nodes_(nodes),
      replicas_(static_cast<std::size_t>(layers),
                std::vector<std::vector<std::int32_t>>(static_cast<std::size_t>(experts))) {}

void ExpertMap::add_replica(std::int64_t layer, std::int32_t expert, std::int32_t node) {
  replicas_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(expert)].push_back(node);
}

std::vector<std::int32_t> ExpertMap::local_experts(std::int64_t layer, std::int32_t node) const {
  std::vector<std::int32_t> out;
  const auto& l = replicas_[static_cast<std::size_t>(layer)];
  for (std::size_t e = 0; e < l.size(); ++e)
    if (std::find(l[e].begin(), l[e].end(), node) != l[e].end())
      out.push_back(static_cast<std::int32_t>(e));
  return out;
}

bool ExpertMap::holds(std::int64_t layer, std::int32_t expert, std::int32_t node) const {
  const auto r = replicas(layer, expert);
  return std::find(r.begin(), r.end(), node) != r.end();
}

std::int64_t expert_copies(const ExpertMap& map, const ModelSpec& model, std::int32_t node) {
  std::int64_t copies = 0;
  for (std::int64_t l = 0; l < map.layers(); ++l)
    if (model.layers[static_cast<std::size_t>(l)].moe)
      for (std::int32_t e = 0; e < map.experts(); ++e) copies += map.holds(l, e, node) ? 1 : 0;
  return copies;
}

ExpertMap contiguous_map(const PlacementContext& ctx) {
  const std::int64_t E = ctx.model.routed_experts, L = ctx.model.num_layers, N = ctx.nodes;
  ExpertMap map(L, E, N);
  for (std::int64_t l = 0; l < L; ++l)
    for (std::int64_t e = 0; e < E; ++e)
      // e * N / E spreads a remainder evenly when N does not divide E.
      map.add_replica(l, static_cast<std::int32_t>(e), static_cast<std::int32_t>(e * N / E));
  return map;
}

std::vector<double> node_loads(const ExpertMap& map, std::span<const double> load) {
  std::vector<double> out(static_cast<std::size_t>(map.nodes()), 0.0);
  for (std::int64_t l = 0; l < map.layers(); ++l)
    for (std::int32_t e = 0; e < map.experts(); ++e) {
      const double v = load[static_cast<std::size_t>(l * map.experts() + e)];
      if (v == 0) continue;
      const auto r = map.replicas(l, e);
      for (auto n : r) out[static_cast<std::size_t>(n)] += v / static_cast<double>(r.size());
    }
  return out;
}

void ExpertMap::check() const {
  for (std::size_t l = 0; l < replicas_.size(); ++l) {
    for (std::size_t e = 0; e < replicas_[l].size(); ++e) {
      auto r = replicas_[l][e];
      if (r.empty())
        throw SimulationError("placement: layer " + std::to_string(l) + " expert " +
                              std::to_string(e) + " has no replica");
      std::sort(r.begin(), r.end());
      if (std::adjacent_find(r.begin(), r.end()) != r.end() || r.front() < 0 || r.back() >= nodes_)
        throw SimulationError("placement: layer " + std::to_string(l) + " expert " +
                              std::to_string(e) + " has an invalid replica set");
    }
  }
}

std::unique_ptr<PlacementPolicy> make_placement_policy(const Params& p) {
  return make_selected<PlacementRegistry>(p, "policy", "contiguous", "placement policy");
}

std::unique_ptr<ReplicaDispatch> make_replica_dispatch(const Params& placement) {
  return make_selected<ReplicaDispatchRegistry>(placement, "replica_dispatch", "even",
                                                "replica dispatch rule");
}

}  // namespace sievesim
