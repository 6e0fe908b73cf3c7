#include "workload/routing.hpp"

#include <algorithm>
#include <limits>

#include "base/rng.hpp"
#include "base/select.hpp"

namespace sievesim {

std::unique_ptr<RoutingSource> make_routing_source(const Params& p, const RoutingContext& ctx) {
  return make_selected<RoutingRegistry>(p, "source", "uniform", "routing source", ctx);
}

const RoutingContext& describing_routing_context() {
  static const ModelSpec model = [] {
    ModelSpec m;
    m.name = "describe";
    m.routed_experts = 8;
    m.top_k = 2;
    m.num_layers = 2;
    m.layers.resize(2);
    return m;
  }();
  static const RoutingContext ctx{model, 1, ""};
  return ctx;
}

namespace {

// The one draw both entry points share; `upper(r)` is the first index whose cumulative weight
// exceeds fl(r * total), for r uniform in [0, 1).
template <class UpperIndex>
void draw_topk_impl(std::span<const double> cdf, UpperIndex upper, std::uint64_t seed,
                    const RouteKey& key, std::span<std::int32_t> experts, std::span<float> gates) {
  const auto n = static_cast<std::int32_t>(cdf.size());
  const std::size_t k = experts.size();
  RandomStream rng(stream_seed(seed, StreamId::kRouting), static_cast<std::uint32_t>(key.request),
                   static_cast<std::uint32_t>(key.request >> 32) ^ (key.layer << 20), key.position);
  double gate_sum = 0;
  std::size_t got = 0;
  // The experts drawn so far, as bits when there are at most kSeenBits experts (a search of the
  // draws so far cost a third of a try), else found by searching.
  constexpr std::int32_t kSeenBits = 1024;
  std::uint64_t seen[kSeenBits / 64] = {};
  const bool bits = n <= kSeenBits;
  auto taken = [&](std::int32_t e) {
    if (bits) return ((seen[e >> 6] >> (e & 63)) & 1u) != 0;
    return std::find(experts.begin(), experts.begin() + got, e) != experts.begin() + got;
  };
  // With k much smaller than E (8 of 128, 10 of 512) a repeat is rare; the loop is bounded by
  // falling back to the lowest unused id after many tries (only reachable when k ~ E and the
  // distribution is extremely skewed).
  for (int tries = 0; got < k; ++tries) {
    std::int32_t e;
    if (tries < 64 * static_cast<int>(k)) {
      e = std::min(upper(rng.next_double()), n - 1);
    } else {
      e = 0;
      while (taken(e)) ++e;
    }
    if (taken(e)) continue;
    if (bits) seen[e >> 6] |= std::uint64_t{1} << (e & 63);
    experts[got] = e;
    const double p = cdf[e] - (e > 0 ? cdf[e - 1] : 0.0);
    gates[got] = static_cast<float>(p);
    gate_sum += p;
    ++got;
  }
  for (auto& g : gates) g = static_cast<float>(g / gate_sum);
}

}  // namespace

void draw_topk_from_cdf(std::span<const double> cdf, std::uint64_t seed, const RouteKey& key,
                        std::span<std::int32_t> experts, std::span<float> gates) {
  const double total = cdf.back();
  auto upper = [&](double r) {
    const double u = r * total;
    return static_cast<std::int32_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
  };
  draw_topk_impl(cdf, upper, seed, key, experts, gates);
}

CdfTable::CdfTable(std::vector<double> cdf) : cdf_(std::move(cdf)) {
  const std::size_t n = cdf_.size();
  // About two guide entries per expert: the scan past the guide then averages under one step.
  int bits = 1;
  while ((std::size_t{1} << bits) < 2 * n && bits < 30) ++bits;
  const std::size_t m = std::size_t{1} << bits;
  guide_scale_ = static_cast<double>(m);
  const double total = n > 0 ? cdf_.back() : 0.0;
  guide_.resize(m);
  for (std::size_t j = 0; j < m; ++j) {
    // The same product upper_index computes for the smallest r of this bucket.
    const double t = (static_cast<double>(j) / guide_scale_) * total;
    guide_[j] =
        static_cast<std::int32_t>(std::upper_bound(cdf_.begin(), cdf_.end(), t) - cdf_.begin());
  }
  cdf_.push_back(std::numeric_limits<double>::infinity());
}

void draw_topk(const CdfTable& table, std::uint64_t seed, const RouteKey& key,
               std::span<std::int32_t> experts, std::span<float> gates) {
  draw_topk_impl(
      table.cdf(), [&](double r) { return table.upper_index(r); }, seed, key, experts, gates);
}

}  // namespace sievesim
