// Zipf expert popularity: the expert of popularity rank r is chosen with weight (r+1)^-s.
#include <cmath>

#include "workload/synthetic_routing.hpp"

namespace sievesim {

SIEVESIM_REGISTER(RoutingRegistry, "zipf",
                  "Zipf popularity with exponent s over a random per-layer permutation",
                  [](const Params& p, const RoutingContext& c) -> std::unique_ptr<RoutingSource> {
                    const double s =
                        p.param<double>("s")
                            .min(0)
                            .max(10)
                            .desc(
                                "Zipf exponent: the expert of popularity rank r has weight "
                                "(r+1)^-s; 0 is uniform")
                            .dflt(1.0);
                    std::vector<double> w(static_cast<std::size_t>(c.model.routed_experts));
                    for (std::size_t r = 0; r < w.size(); ++r)
                      w[r] = std::pow(static_cast<double>(r + 1), -s);
                    return std::make_unique<SyntheticRouting>(p, c, std::move(w));
                  })

}  // namespace sievesim
