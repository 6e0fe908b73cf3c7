// Standard expert parallelism: expert e of every layer on node e / (E / N), no replicas.
#include "place/placement.hpp"

namespace sievesim {
namespace {

class ContiguousPlacement final : public PlacementPolicy {
 public:
  explicit ContiguousPlacement(const Params&) {}
  ExpertMap initial(const PlacementContext& ctx) const override {
    const std::int64_t E = ctx.model.routed_experts, L = ctx.model.num_layers, N = ctx.nodes;
    ExpertMap map(L, E, N);
    for (std::int64_t l = 0; l < L; ++l)
      for (std::int64_t e = 0; e < E; ++e)
        // e * N / E spreads a remainder evenly when N does not divide E.
        map.add_replica(l, static_cast<std::int32_t>(e), static_cast<std::int32_t>(e * N / E));
    return map;
  }
};

}  // namespace

SIEVESIM_REGISTER(PlacementRegistry, "contiguous",
                  "expert e on node e*N/E (standard expert parallelism), no replicas",
                  [](const Params& p) { return std::make_unique<ContiguousPlacement>(p); })

}  // namespace sievesim
