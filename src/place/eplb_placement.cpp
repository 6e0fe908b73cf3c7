// EPLB placement: DeepSeek's expert-parallel load balancer (place/eplb.cpp) over physical slots
// (experts + redundant_experts, spread evenly over the GPUs), fed with per-(layer, expert) loads
// estimated from a warm-up batch of the configured routing (warmup_tokens tokens at position 0).
// Replicas of one expert that land on the same GPU merge into one.
#include <algorithm>
#include <vector>

#include "place/eplb.hpp"
#include "place/placement.hpp"
#include "workload/routing.hpp"

namespace sievesim {
namespace {

class EplbPlacement final : public PlacementPolicy {
 public:
  explicit EplbPlacement(const Params& p)
      : redundant_(p.param<std::int64_t>("redundant_experts")
                       .min(0)
                       .max(1 << 20)
                       .desc("extra expert copies per layer over the cluster (experts + "
                             "redundant_experts must divide by the nodes)")
                       .dflt(0)),
        groups_(p.param<std::int64_t>("groups")
                    .min(1)
                    .max(1 << 20)
                    .desc("expert groups for EPLB's hierarchical balancing (must divide the "
                          "experts); 1: global")
                    .dflt(1)),
        warmup_(p.param<std::int64_t>("warmup_tokens")
                    .min(1)
                    .max(1 << 24)
                    .desc("tokens of the warm-up batch of the configured routing whose loads "
                          "seed the placement")
                    .dflt(4096)),
        params_(p) {}

  ExpertMap initial(const PlacementContext& ctx) const override {
    const std::int64_t E = ctx.model.routed_experts, L = ctx.model.num_layers, N = ctx.nodes;
    const std::int64_t R = E + redundant_;
    if (R % N != 0)
      params_.fail("redundant_experts", "experts + redundant_experts (" + std::to_string(R) +
                                            ") must be a multiple of the " + std::to_string(N) +
                                            " nodes");
    if (E % groups_ != 0)
      params_.fail("groups", "must divide the " + std::to_string(E) + " experts");
    if (ctx.given) return place(ctx, ctx.given->tokens);
    // Loads of every (layer, expert) from the warm-up batch (dense layers keep zeros).
    std::vector<double> load(static_cast<std::size_t>(L * E), 0.0);
    std::vector<std::int32_t> ex(static_cast<std::size_t>(ctx.model.top_k));
    std::vector<float> g(ex.size());
    for (std::int64_t l = 0; l < L; ++l) {
      if (!ctx.model.layers[static_cast<std::size_t>(l)].moe || !ctx.routing) continue;
      for (std::int64_t t = 0; t < warmup_; ++t) {
        ctx.routing->route(
            RouteKey{static_cast<std::uint64_t>(t), 0, static_cast<std::uint32_t>(l)}, ex, g);
        for (auto e : ex) load[static_cast<std::size_t>(l * E + e)] += 1.0;
      }
    }
    return place(ctx, load);
  }

  bool uses_loads() const override { return true; }

  std::optional<std::int64_t> slots_per_node(const PlacementContext& ctx) const override {
    return ctx.model.num_moe_layers() * (ctx.model.routed_experts + redundant_) / ctx.nodes;
  }

  std::optional<ExpertMap> rebalance(const PlacementContext& ctx, const ExpertMap&,
                                     std::span<const double> load) const override {
    return place(ctx, std::vector<double>(load.begin(), load.end()));
  }

 private:
  ExpertMap place(const PlacementContext& ctx, const std::vector<double>& load) const {
    const std::int64_t E = ctx.model.routed_experts, L = ctx.model.num_layers, N = ctx.nodes;
    const std::int64_t R = E + redundant_;
    const std::int64_t servers = N % ctx.gpus_per_server == 0 ? N / ctx.gpus_per_server : 1;
    const EplbResult r = rebalance_experts(load, L, R, groups_, servers, N);
    ExpertMap map(L, E, N);
    const std::int64_t per_node = R / N;
    for (std::int64_t l = 0; l < L; ++l)
      for (std::int64_t s = 0; s < R; ++s) {
        const auto e = r.phy2log[static_cast<std::size_t>(l * R + s)];
        const auto node = static_cast<std::int32_t>(s / per_node);
        const auto have = map.replicas(l, e);
        if (std::find(have.begin(), have.end(), node) == have.end()) map.add_replica(l, e, node);
      }
    return map;
  }

  std::int64_t redundant_, groups_, warmup_;
  Params params_;
};

}  // namespace

SIEVESIM_REGISTER(
    PlacementRegistry, "eplb",
    "DeepSeek EPLB over experts + redundant_experts slots, loads from a warm-up batch",
    [](const Params& p) { return std::make_unique<EplbPlacement>(p); })

}  // namespace sievesim
