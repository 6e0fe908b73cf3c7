// A seeded random placement with optional replicas: a stress case for the token exchange (every
// token must still reach exactly one copy of each of its experts) and a baseline without locality.
#include <algorithm>
#include <numeric>
#include <vector>

#include "base/rng.hpp"
#include "place/placement.hpp"

namespace sievesim {
namespace {

class RandomPlacement final : public PlacementPolicy {
 public:
  explicit RandomPlacement(const Params& p)
      : max_replicas_(p.param<std::int64_t>("max_replicas")
                          .min(1)
                          .desc("most copies of an expert, on distinct nodes (each gets 1..max "
                                "at random)")
                          .dflt(1)) {}
  ExpertMap initial(const PlacementContext& ctx) const override {
    const std::int64_t E = ctx.model.routed_experts, L = ctx.model.num_layers, N = ctx.nodes;
    ExpertMap map(L, E, N);
    const auto max_copies = static_cast<std::uint32_t>(std::min(max_replicas_, N));
    for (std::int64_t l = 0; l < L; ++l) {
      RandomStream rng(stream_seed(ctx.seed, StreamId::kPlacement), static_cast<std::uint32_t>(l),
                       0, 0);
      for (std::int64_t e = 0; e < E; ++e) {
        std::vector<std::int32_t> nodes(static_cast<std::size_t>(N));
        std::iota(nodes.begin(), nodes.end(), 0);
        const std::uint32_t copies = 1 + rng.next_below(max_copies);
        for (std::uint32_t c = 0; c < copies; ++c) {
          const auto j = c + rng.next_below(static_cast<std::uint32_t>(N) - c);
          std::swap(nodes[c], nodes[j]);
          map.add_replica(l, static_cast<std::int32_t>(e), nodes[c]);
        }
      }
    }
    return map;
  }

 private:
  std::int64_t max_replicas_;
};

}  // namespace

SIEVESIM_REGISTER(PlacementRegistry, "random",
                  "seeded random node per expert, 1..max_replicas copies on distinct nodes",
                  [](const Params& p) { return std::make_unique<RandomPlacement>(p); })

}  // namespace sievesim
