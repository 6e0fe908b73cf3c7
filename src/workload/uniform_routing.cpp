// Every token picks k distinct experts uniformly at random.
#include <vector>

#include "workload/routing.hpp"

namespace sievesim {
namespace {

class UniformRouting final : public RoutingSource {
 public:
  UniformRouting(const Params&, const RoutingContext& ctx)
      : seed_(ctx.seed), cdf_(static_cast<std::size_t>(ctx.model.routed_experts)) {
    for (std::size_t e = 0; e < cdf_.size(); ++e) cdf_[e] = static_cast<double>(e + 1);
  }
  void route(const RouteKey& key, std::span<std::int32_t> experts,
             std::span<float> gates) const override {
    draw_topk_from_cdf(cdf_, seed_, key, experts, gates);
  }

 private:
  std::uint64_t seed_;
  std::vector<double> cdf_;
};

}  // namespace

SIEVESIM_REGISTER(RoutingRegistry, "uniform", "k distinct experts, uniformly at random",
                  [](const Params& p, const RoutingContext& c) {
                    return std::make_unique<UniformRouting>(p, c);
                  })

}  // namespace sievesim
