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
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include "workload/routing.hpp"

namespace sievesim {

class SyntheticRouting : public RoutingSource {
 public:
  // `rank_weights[r]`: relative popularity of the expert of rank r (r = 0 most popular).
  SyntheticRouting(const Params& p, const RoutingContext& ctx, std::vector<double> rank_weights);
  void route(const RouteKey& key, std::span<std::int32_t> experts,
             std::span<float> gates) const override;

  // What the count engine (engine/count_routing.hpp) draws counts from instead of tokens.
  double locality() const { return locality_; }
  std::uint32_t drift_period_tokens() const { return drift_period_; }
  // Cumulative popularity over expert ids of `layer` in drift epoch `epoch` (0 without drift).
  std::span<const double> cumulative_weights(std::uint32_t layer, std::uint64_t epoch) const {
    return table(layer, epoch).cdf();
  }
  // The request's own experts of a layer, as route() takes a token's local choices from them at
  // token position `at` (the same draw, uncached).
  void request_set(std::uint64_t request, std::uint32_t layer, std::uint32_t at,
                   std::span<std::int32_t> experts, std::span<float> gates) const {
    draw(RouteKey{request, 0xFFFFFFFFu, layer}, at, experts, gates);
  }

 private:
  // Cumulative weights over expert ids for (layer, epoch), with their guide table (cached: the
  // same few are reused; epoch 0 by layer without a lookup).
  const CdfTable& table(std::uint32_t layer, std::uint64_t epoch) const;
  // A draw whose random numbers come from `rng_key` and whose popularity is that of the token
  // position `at`.
  void draw(const RouteKey& rng_key, std::uint32_t at, std::span<std::int32_t> experts,
            std::span<float> gates) const;
  // The request's own experts for a layer (the locality draw). Without drift they depend on
  // (request, layer) only, yet every token of the request asks for them in every layer: a
  // direct-mapped cache keeps the last set per slot, so a decode step draws them once per
  // request and layer instead of once per token (about a third of the routing work).
  std::span<const std::int32_t> own_experts(const RouteKey& key, std::size_t k) const;

  std::uint64_t seed_;
  std::vector<double> rank_weights_;
  double locality_;
  std::uint32_t drift_period_;
  std::uint64_t layers_;
  mutable std::vector<std::unique_ptr<CdfTable>> by_layer_;                    // epoch 0
  mutable std::map<std::pair<std::uint32_t, std::uint64_t>, CdfTable> cache_;  // drifting epochs
  // Zero-filled arrays from calloc: a large block comes from the kernel as untouched zero
  // pages, so only the part of the cache a run uses becomes resident.
  template <class T>
  struct ZeroArray {
    std::unique_ptr<T[], void (*)(void*)> p{nullptr, std::free};
    void allocate(std::size_t n);
    T& operator[](std::size_t i) const { return p[i]; }
  };
  // own_experts' cache: slot (request * layers + layer) mod size; an entry is valid when its
  // request and layer + 1 match (layer + 1 = 0: empty).
  mutable ZeroArray<std::uint64_t> own_request_;
  mutable ZeroArray<std::uint32_t> own_layer_;
  mutable ZeroArray<std::int32_t> own_experts_;  // k per slot
  mutable std::size_t own_k_ = 0;
  mutable std::vector<std::int32_t> scratch_experts_;  // uncached own draws (drift, k changes)
  mutable std::vector<float> scratch_gates_;
};

}  // namespace sievesim
