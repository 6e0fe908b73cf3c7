#include "workload/synthetic_routing.hpp"

#include <algorithm>
#include <new>
#include <numeric>

#include "base/rng.hpp"

namespace sievesim {
namespace {
// Slots of the own-experts cache: 2^22 covers 69,905 concurrent requests of a 60-layer model on a
// rank without a collision (273 nodes of 256 requests; up to 218 MB at k = 10 once every slot is
// used, resident only as used). Past that, requests evict each other's sets and redraw them per
// token: at 2^18 slots 64 nodes x 256 requests on 2 ranks already ran 2.7x slower per token.
constexpr std::size_t kOwnSlots = std::size_t{1} << 22;
}  // namespace

template <class T>
void SyntheticRouting::ZeroArray<T>::allocate(std::size_t n) {
  p.reset(static_cast<T*>(std::calloc(n, sizeof(T))));
  if (!p) throw std::bad_alloc();
}

SyntheticRouting::SyntheticRouting(const Params& p, const RoutingContext& ctx,
                                   std::vector<double> rank_weights)
    : seed_(ctx.seed),
      rank_weights_(std::move(rank_weights)),
      locality_(p.param<double>("locality")
                    .min(0)
                    .max(1)
                    .desc("chance each of a token's choices reuses its request's own experts "
                          "of the layer (consecutive tokens share experts)")
                    .dflt(0.0)),
      drift_period_(static_cast<std::uint32_t>(
          p.param<std::int64_t>("drift_period_tokens")
              .min(0)
              .max(1 << 30)
              .desc("token positions after which popularity has moved to a new permutation, "
                    "blending in between; 0: no drift")
              .dflt(0))),
      layers_(static_cast<std::uint64_t>(std::max<std::int64_t>(1, ctx.model.num_layers))) {}

const CdfTable& SyntheticRouting::table(std::uint32_t layer, std::uint64_t epoch) const {
  if (epoch == 0 && layer < by_layer_.size() && by_layer_[layer]) return *by_layer_[layer];
  if (epoch != 0) {
    auto it = cache_.find({layer, epoch});
    if (it != cache_.end()) return it->second;
  }
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
  if (epoch != 0)
    return cache_.emplace(std::make_pair(layer, epoch), CdfTable(std::move(w))).first->second;
  if (layer >= by_layer_.size()) by_layer_.resize(layer + std::size_t{1});
  by_layer_[layer] = std::make_unique<CdfTable>(std::move(w));
  return *by_layer_[layer];
}

void SyntheticRouting::draw(const RouteKey& rng_key, std::uint32_t at,
                            std::span<std::int32_t> experts, std::span<float> gates) const {
  if (drift_period_ == 0) {
    draw_topk(table(rng_key.layer, 0), seed_, rng_key, experts, gates);
    return;
  }
  // Between two epochs the popularity blends linearly from one permutation to the next.
  const std::uint64_t epoch = at / drift_period_;
  const double f = static_cast<double>(at % drift_period_) / drift_period_;
  if (cache_.size() > 4096) cache_.clear();  // drifting runs visit epochs in order
  const auto a = table(rng_key.layer, epoch).cdf();
  const auto b = table(rng_key.layer, epoch + 1).cdf();  // map nodes stay put: `a` is valid
  std::vector<double> mix(a.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    mix[i] = (1 - f) * a[i] / a.back() + f * b[i] / b.back();
  draw_topk_from_cdf(mix, seed_, rng_key, experts, gates);
}

std::span<const std::int32_t> SyntheticRouting::own_experts(const RouteKey& key,
                                                            std::size_t k) const {
  // One draw per (request, layer), from a counter no token uses.
  const RouteKey own_key{key.request, 0xFFFFFFFFu, key.layer};
  if (drift_period_ != 0 || (own_k_ != 0 && own_k_ != k)) {
    scratch_experts_.resize(k);
    scratch_gates_.resize(k);
    draw(own_key, key.position, scratch_experts_, scratch_gates_);
    return scratch_experts_;
  }
  if (own_k_ == 0) {
    own_k_ = k;
    own_request_.allocate(kOwnSlots);
    own_layer_.allocate(kOwnSlots);
    own_experts_.allocate(kOwnSlots * k);
  }
  const std::size_t slot =
      static_cast<std::size_t>(key.request * layers_ + key.layer) & (kOwnSlots - 1);
  std::span<std::int32_t> cached(&own_experts_[slot * k], k);
  if (own_request_[slot] != key.request || own_layer_[slot] != key.layer + 1) {
    scratch_gates_.resize(k);
    draw(own_key, key.position, cached, scratch_gates_);
    own_request_[slot] = key.request;
    own_layer_[slot] = key.layer + 1;
  }
  return cached;
}

void SyntheticRouting::route(const RouteKey& key, std::span<std::int32_t> experts,
                             std::span<float> gates) const {
  draw(key, key.position, experts, gates);
  if (locality_ <= 0) return;
  const auto own = own_experts(key, experts.size());
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
