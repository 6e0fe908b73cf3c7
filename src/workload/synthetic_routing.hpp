#pragma once
// The machinery of the synthetic routing sources. A source gives expert popularity by rank; which
// expert holds which rank is a seeded random permutation per layer (hot experts differ by layer,
// as in trained models). Two options shape the workload over time:
//  - locality: each of a token's k choices is, with this probability, taken from its request's
//    own set of experts for that layer (drawn once per request from the same popularity), so
//    consecutive tokens of a request reuse experts;
//  - drift_period_tokens: popularity moves to a new permutation every so many token positions,
//    blending smoothly in between ("evolving" workloads; 0 = no drift).
// Everything is a pure function of (seed, request, position, layer).
#include <cstdint>
#include <map>
#include <vector>

#include "workload/routing.hpp"

namespace sievesim {

class SyntheticRouting : public RoutingSource {
 public:
  // `rank_weights[r]`: relative popularity of the expert of rank r (r = 0 most popular).
  SyntheticRouting(const Params& p, const RoutingContext& ctx, std::vector<double> rank_weights);
  void route(const RouteKey& key, std::span<std::int32_t> experts,
             std::span<float> gates) const override;

 private:
  // Cumulative weights over expert ids for (layer, epoch) (cached: the same few are reused).
  const std::vector<double>& cdf(std::uint32_t layer, std::uint64_t epoch) const;
  // A draw whose random numbers come from `rng_key` and whose popularity is that of the token
  // position `at`.
  void draw(const RouteKey& rng_key, std::uint32_t at, std::span<std::int32_t> experts,
            std::span<float> gates) const;

  std::uint64_t seed_;
  std::vector<double> rank_weights_;
  double locality_;
  std::uint32_t drift_period_;
  mutable std::map<std::pair<std::uint32_t, std::uint64_t>, std::vector<double>> cache_;
};

}  // namespace sievesim
