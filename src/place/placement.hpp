#pragma once
// Expert placement: which nodes hold a copy (replica) of each logical expert, per MoE layer.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/params.hpp"
#include "base/registry.hpp"
#include "model/model.hpp"
#include "place/load_file.hpp"

namespace sievesim {

// Replicas of every (layer, expert), stored compactly (CSR per layer).
class ExpertMap {
 public:
  ExpertMap() = default;
  ExpertMap(std::int64_t layers, std::int64_t experts, std::int64_t nodes);

  void add_replica(std::int64_t layer, std::int32_t expert, std::int32_t node);
  std::span<const std::int32_t> replicas(std::int64_t layer, std::int32_t expert) const {
    return replicas_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(expert)];
  }
  // Logical experts with a replica on `node` in `layer`, ascending.
  std::vector<std::int32_t> local_experts(std::int64_t layer, std::int32_t node) const;

  std::int64_t layers() const { return static_cast<std::int64_t>(replicas_.size()); }
  std::int64_t experts() const { return experts_; }
  std::int64_t nodes() const { return nodes_; }
  bool holds(std::int64_t layer, std::int32_t expert, std::int32_t node) const;
  // Throws SimulationError unless every expert of every layer has at least one replica on a
  // valid node and no expert is placed twice on the same node.
  void check() const;

 private:
  std::int64_t experts_ = 0, nodes_ = 0;
  std::vector<std::vector<std::vector<std::int32_t>>> replicas_;
};

class RoutingSource;
class GpuModel;
class PimModel;

struct PlacementContext {
  const ModelSpec& model;
  std::int64_t nodes;
  std::int64_t gpus_per_server;
  std::uint64_t seed;
  const RoutingSource* routing = nullptr;  // for load estimates from a warm-up batch
  // For policies that predict node time (rebalancing only).
  const GpuModel* gpu = nullptr;
  const PimModel* pim = nullptr;
  std::int64_t window_iterations = 1;  // iterations the load counts cover
  // Loads given by the user for the initial placement (`placement.load_file`), or null.
  const GivenLoad* given = nullptr;
  // Per node, the factor its GPU / PIM times are multiplied by (stragglers, when the policy is
  // told: faults.speed_aware); empty: every node at its preset's speed.
  std::span<const double> gpu_slowdown = {}, pim_slowdown = {};
};

// Expert copies `node` holds over the MoE layers of `model` (what its HBM must hold).
std::int64_t expert_copies(const ExpertMap& map, const ModelSpec& model, std::int32_t node);

// Standard expert parallelism: expert e of every layer on node e * N / E, no replicas.
ExpertMap contiguous_map(const PlacementContext& ctx);

class PlacementPolicy {
 public:
  virtual ~PlacementPolicy() = default;
  virtual ExpertMap initial(const PlacementContext& ctx) const = 0;
  // Whether initial() places from measured or given loads (else `load_file` is an error).
  virtual bool uses_loads() const { return false; }
  // Expert copies a node may hold over all layers when the policy rebalances (its HBM is set
  // aside for them up front); nothing: what the initial placement holds.
  virtual std::optional<std::int64_t> slots_per_node(const PlacementContext& ctx) const {
    (void)ctx;
    return std::nullopt;
  }
  // A new placement from the tokens each (layer, expert) received in the last window
  // (`load[layer * experts + expert]`), or nothing to keep `current`. Every rank calls it with
  // the same inputs and must get the same answer.
  virtual std::optional<ExpertMap> rebalance(const PlacementContext& ctx, const ExpertMap& current,
                                             std::span<const double> load) const {
    (void)ctx, (void)current, (void)load;
    return std::nullopt;
  }
};

// Predicted tokens per node for `load` under `map` (a token of a replicated expert counts
// 1/replicas on each holder): the load balance a placement achieves.
std::vector<double> node_loads(const ExpertMap& map, std::span<const double> load);

using PlacementRegistry = Registry<PlacementPolicy, const Params&>;

std::unique_ptr<PlacementPolicy> make_placement_policy(const Params& p);

}  // namespace sievesim
