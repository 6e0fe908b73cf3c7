// Every token picks k distinct experts uniformly at random (locality and drift options apply,
// though drift has nothing to move when all experts are equally popular).
#include "workload/synthetic_routing.hpp"

namespace sievesim {

SIEVESIM_REGISTER(RoutingRegistry, "uniform", "k distinct experts, uniformly at random",
                  [](const Params& p, const RoutingContext& c) -> std::unique_ptr<RoutingSource> {
                    return std::make_unique<SyntheticRouting>(
                        p, c,
                        std::vector<double>(static_cast<std::size_t>(c.model.routed_experts), 1.0));
                  })

}  // namespace sievesim
