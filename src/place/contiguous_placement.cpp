// Standard expert parallelism: expert e of every layer on node e / (E / N), no replicas.
#include "place/placement.hpp"

namespace sievesim {
namespace {

class ContiguousPlacement final : public PlacementPolicy {
 public:
  explicit ContiguousPlacement(const Params&) {}
  ExpertMap initial(const PlacementContext& ctx) const override { return contiguous_map(ctx); }
};

}  // namespace

SIEVESIM_REGISTER(PlacementRegistry, "contiguous",
                  "expert e on node e*N/E (standard expert parallelism), no replicas",
                  [](const Params& p) { return std::make_unique<ContiguousPlacement>(p); })

}  // namespace sievesim
