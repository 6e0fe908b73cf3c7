#include "workload/routing.hpp"

#include <algorithm>

#include "common/rng.hpp"
#include "config/select.hpp"

namespace sievesim {

std::unique_ptr<RoutingSource> make_routing_source(const Params& p, const RoutingContext& ctx) {
  return make_selected<RoutingRegistry>(p, "source", "uniform", "routing source", ctx);
}

void draw_topk_from_cdf(std::span<const double> cdf, std::uint64_t seed, const RouteKey& key,
                        std::span<std::int32_t> experts, std::span<float> gates) {
  const auto n = static_cast<std::int32_t>(cdf.size());
  const std::size_t k = experts.size();
  RandomStream rng(stream_seed(seed, StreamId::kRouting), static_cast<std::uint32_t>(key.request),
                   static_cast<std::uint32_t>(key.request >> 32) ^ (key.layer << 20), key.position);
  double gate_sum = 0;
  std::size_t got = 0;
  // With k much smaller than E (8 of 128, 10 of 512) a repeat is rare; the loop is bounded by
  // falling back to the lowest unused id after many tries (only reachable when k ~ E and the
  // distribution is extremely skewed).
  for (int tries = 0; got < k; ++tries) {
    std::int32_t e;
    if (tries < 64 * static_cast<int>(k)) {
      const double u = rng.next_double() * cdf.back();
      e = static_cast<std::int32_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
      e = std::min(e, n - 1);
    } else {
      e = 0;
      while (std::find(experts.begin(), experts.begin() + got, e) != experts.begin() + got) ++e;
    }
    if (std::find(experts.begin(), experts.begin() + got, e) != experts.begin() + got) continue;
    experts[got] = e;
    const double p = cdf[e] - (e > 0 ? cdf[e - 1] : 0.0);
    gates[got] = static_cast<float>(p);
    gate_sum += p;
    ++got;
  }
  for (auto& g : gates) g = static_cast<float>(g / gate_sum);
}

}  // namespace sievesim
