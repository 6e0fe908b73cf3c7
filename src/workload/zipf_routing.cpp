// Zipf expert popularity: the expert of popularity rank r is chosen with weight (r+1)^-s; which
// expert holds which rank is a random permutation per layer, so hot experts differ by layer as
// they do in trained models.
#include <cmath>
#include <numeric>
#include <vector>

#include "common/rng.hpp"
#include "workload/routing.hpp"

namespace sievesim {
namespace {

class ZipfRouting final : public RoutingSource {
 public:
  ZipfRouting(const Params& p, const RoutingContext& ctx)
      : seed_(ctx.seed), experts_(static_cast<std::size_t>(ctx.model.routed_experts)) {
    const double s = p.param<double>("s").min(0).max(10).dflt(1.0);
    cdf_.resize(ctx.model.layers.size());
    for (std::size_t layer = 0; layer < cdf_.size(); ++layer) {
      std::vector<std::int32_t> perm(experts_);
      std::iota(perm.begin(), perm.end(), 0);
      RandomStream rng(stream_seed(seed_, StreamId::kRoutingTable),
                       static_cast<std::uint32_t>(layer), 0, 0);
      for (std::size_t i = experts_; i > 1; --i)
        std::swap(perm[i - 1], perm[rng.next_below(static_cast<std::uint32_t>(i))]);
      std::vector<double> weight(experts_);
      for (std::size_t r = 0; r < experts_; ++r)
        weight[static_cast<std::size_t>(perm[r])] = std::pow(static_cast<double>(r + 1), -s);
      auto& cdf = cdf_[layer];
      cdf.resize(experts_);
      std::partial_sum(weight.begin(), weight.end(), cdf.begin());
    }
  }
  void route(const RouteKey& key, std::span<std::int32_t> experts,
             std::span<float> gates) const override {
    draw_topk_from_cdf(cdf_[key.layer], seed_, key, experts, gates);
  }

 private:
  std::uint64_t seed_;
  std::size_t experts_;
  std::vector<std::vector<double>> cdf_;
};

}  // namespace

SIEVESIM_REGISTER(RoutingRegistry, "zipf",
                  "Zipf popularity with exponent s over a random per-layer permutation",
                  [](const Params& p, const RoutingContext& c) {
                    return std::make_unique<ZipfRouting>(p, c);
                  })

}  // namespace sievesim
