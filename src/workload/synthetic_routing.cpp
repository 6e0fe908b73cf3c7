#include "workload/synthetic_routing.hpp"

#include <algorithm>
#include <numeric>

#include "common/rng.hpp"

namespace sievesim {

SyntheticRouting::SyntheticRouting(const Params& p, const RoutingContext& ctx,
                                   std::vector<double> rank_weights)
    : seed_(ctx.seed),
      rank_weights_(std::move(rank_weights)),
      locality_(p.param<double>("locality").min(0).max(1).dflt(0.0)),
      drift_period_(static_cast<std::uint32_t>(
          p.param<std::int64_t>("drift_period_tokens").min(0).max(1 << 30).dflt(0))) {}

const std::vector<double>& SyntheticRouting::cdf(std::uint32_t layer, std::uint64_t epoch) const {
  auto it = cache_.find({layer, epoch});
  if (it != cache_.end()) return it->second;
  if (cache_.size() > 4096) cache_.clear();  // drifting runs visit epochs in order
  const std::size_t n = rank_weights_.size();
  std::vector<std::int32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  RandomStream rng(stream_seed(seed_, StreamId::kRoutingTable), layer,
                   static_cast<std::uint32_t>(epoch), static_cast<std::uint32_t>(epoch >> 32));
  for (std::size_t i = n; i > 1; --i)
    std::swap(perm[i - 1], perm[rng.next_below(static_cast<std::uint32_t>(i))]);
  std::vector<double> w(n);
  for (std::size_t r = 0; r < n; ++r) w[static_cast<std::size_t>(perm[r])] = rank_weights_[r];
  std::partial_sum(w.begin(), w.end(), w.begin());
  return cache_.emplace(std::make_pair(layer, epoch), std::move(w)).first->second;
}

void SyntheticRouting::draw(const RouteKey& rng_key, std::uint32_t at,
                            std::span<std::int32_t> experts, std::span<float> gates) const {
  if (drift_period_ == 0) {
    draw_topk_from_cdf(cdf(rng_key.layer, 0), seed_, rng_key, experts, gates);
    return;
  }
  // Between two epochs the popularity blends linearly from one permutation to the next.
  const std::uint64_t epoch = at / drift_period_;
  const double f = static_cast<double>(at % drift_period_) / drift_period_;
  const auto& a = cdf(rng_key.layer, epoch);
  const auto& b = cdf(rng_key.layer, epoch + 1);
  std::vector<double> mix(a.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    mix[i] = (1 - f) * a[i] / a.back() + f * b[i] / b.back();
  draw_topk_from_cdf(mix, seed_, rng_key, experts, gates);
}

void SyntheticRouting::route(const RouteKey& key, std::span<std::int32_t> experts,
                             std::span<float> gates) const {
  draw(key, key.position, experts, gates);
  if (locality_ <= 0) return;
  // The request's own experts: one draw per (request, layer), from a counter no token uses.
  std::vector<std::int32_t> own(experts.size());
  std::vector<float> own_gates(experts.size());
  draw(RouteKey{key.request, 0xFFFFFFFFu, key.layer}, key.position, own, own_gates);
  RandomStream rng(stream_seed(seed_, StreamId::kLocality), static_cast<std::uint32_t>(key.request),
                   key.layer, key.position);
  for (std::size_t j = 0; j < experts.size(); ++j) {
    if (rng.next_double() >= locality_) continue;
    const auto e = own[j];
    if (std::find(experts.begin(), experts.end(), e) != experts.end()) continue;
    experts[j] = e;
  }
}

}  // namespace sievesim
