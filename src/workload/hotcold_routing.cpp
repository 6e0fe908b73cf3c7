// Hot/cold experts: a `hot_fraction` of the experts receives `hot_share` of the traffic, evenly;
// the rest share the remainder. The bimodal loads of modern MoE decode in two numbers.
#include <cmath>

#include "workload/synthetic_routing.hpp"

namespace sievesim {

SIEVESIM_REGISTER(
    RoutingRegistry, "hotcold", "hot_fraction of the experts get hot_share of the traffic",
    [](const Params& p, const RoutingContext& c) -> std::unique_ptr<RoutingSource> {
      const double frac = p.param<double>("hot_fraction")
                              .above(0)
                              .max(1)
                              .desc("fraction of the experts that are hot (at least one)")
                              .dflt(0.1);
      const double share = p.param<double>("hot_share")
                               .min(0)
                               .max(1)
                               .desc("fraction of the traffic the hot experts share evenly")
                               .dflt(0.5);
      const auto n = static_cast<std::size_t>(c.model.routed_experts);
      const auto hot = std::max<std::size_t>(
          1, std::min(n, static_cast<std::size_t>(std::llround(frac * static_cast<double>(n)))));
      std::vector<double> w(n);
      for (std::size_t r = 0; r < n; ++r)
        w[r] = r < hot ? share / static_cast<double>(hot)
                       : (hot < n ? (1 - share) / static_cast<double>(n - hot) : 0.0);
      return std::make_unique<SyntheticRouting>(p, c, std::move(w));
    })

}  // namespace sievesim
