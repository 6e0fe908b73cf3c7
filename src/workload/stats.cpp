#include "workload/stats.hpp"

#include <algorithm>

namespace sievesim {
namespace {

struct Sums {
  double active = 0, max = 0, tokens = 0, one = 0, two = 0, le4 = 0, idle = 0, experts = 0;
  std::int64_t batches = 0;
  void add(const std::vector<std::int64_t>& load) {
    std::int64_t act = 0, mx = 0, tok = 0;
    for (auto n : load) {
      if (n == 0) {
        ++idle;
        continue;
      }
      ++act;
      tok += n;
      mx = std::max(mx, n);
      one += n == 1;
      two += n == 2;
      le4 += n <= 4;
    }
    active += static_cast<double>(act);
    max += static_cast<double>(mx);
    tokens += static_cast<double>(tok);
    experts += static_cast<double>(load.size());
    ++batches;
  }
  RoutingStats stats(std::int64_t layer, std::int64_t batch) const {
    RoutingStats s;
    s.layer = layer;
    s.batch = batch;
    s.batches = batches;
    const double b = static_cast<double>(batches);
    s.active_experts = active / b;
    s.max_tokens = max / b;
    s.mean_tokens = active > 0 ? tokens / active : 0;
    s.share_1 = active > 0 ? one / active : 0;
    s.share_2 = active > 0 ? two / active : 0;
    s.share_le4 = active > 0 ? le4 / active : 0;
    s.idle = experts > 0 ? idle / experts : 0;
    return s;
  }
};

}  // namespace

std::vector<RoutingStats> routing_stats(const RoutingSource& src, const ModelSpec& m,
                                        std::int64_t batch, std::int64_t batches,
                                        std::span<const std::uint32_t> first_positions) {
  std::vector<RoutingStats> out;
  Sums all;
  std::vector<std::int64_t> load(static_cast<std::size_t>(m.routed_experts));
  std::vector<std::int32_t> ex(static_cast<std::size_t>(m.top_k));
  std::vector<float> g(ex.size());
  for (std::int64_t layer = 0; layer < m.num_layers; ++layer) {
    if (!m.layers[static_cast<std::size_t>(layer)].moe) continue;
    Sums sums;
    for (std::int64_t b = 0; b < batches; ++b) {
      std::fill(load.begin(), load.end(), 0);
      for (std::int64_t r = 0; r < batch; ++r) {
        const auto ru = static_cast<std::size_t>(r);
        const std::uint32_t first = ru < first_positions.size() ? first_positions[ru] : 0;
        src.route(RouteKey{static_cast<std::uint64_t>(r), first + static_cast<std::uint32_t>(b),
                           static_cast<std::uint32_t>(layer)},
                  ex, g);
        for (auto e : ex) ++load[static_cast<std::size_t>(e)];
      }
      sums.add(load);
      all.add(load);
    }
    out.push_back(sums.stats(layer, batch));
  }
  out.push_back(all.stats(-1, batch));
  return out;
}

}  // namespace sievesim
