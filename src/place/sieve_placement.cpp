// Sieve placement: starts from standard expert parallelism and, at each rebalance, swaps experts
// between nodes to lower the largest predicted node time — predicted the way the node will run
// the layer: Sieve's GPU/PIM split of its experts' token counts, with the PIM model's costs. So
// a node full of cold experts counts as cheap (its PIM eats them) and one with several hot
// experts as expensive, which raw token counts do not tell. Swaps keep every node's expert count
// (its HBM slots) and each costs two experts' weights: the policy spends at most
// `migration_budget_GB` per rebalance and prefers the swaps that help most.
#include <algorithm>
#include <numeric>
#include <vector>

#include "hw/gpu/gpu_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "place/placement.hpp"

namespace sievesim {
namespace {

class SievePlacement final : public PlacementPolicy {
 public:
  explicit SievePlacement(const Params& p)
      : budget_bytes_(p.param<double>("migration_budget_GB")
                          .min(0)
                          .max(1e6)
                          .desc("expert weights a rebalance may move, GB (each swap moves two "
                                "experts)")
                          .dflt(4.0) *
                      1e9) {}

  // Contiguous, improved for the given loads (placement.load_file) if any: loading weights at
  // start costs no migration, so the budget does not apply.
  ExpertMap initial(const PlacementContext& ctx) const override {
    ExpertMap map = contiguous_map(ctx);
    if (!ctx.given) return map;
    const auto all_swaps = ctx.model.num_layers * ctx.model.routed_experts;
    auto better = improve(ctx, map, ctx.given->tokens, ctx.given->iterations, all_swaps);
    return better ? std::move(*better) : map;
  }
  bool uses_loads() const override { return true; }

  std::optional<std::int64_t> slots_per_node(const PlacementContext& ctx) const override {
    const std::int64_t E = ctx.model.routed_experts, N = ctx.nodes;
    return ctx.model.num_moe_layers() * ((E + N - 1) / N);
  }

  std::optional<ExpertMap> rebalance(const PlacementContext& ctx, const ExpertMap& current,
                                     std::span<const double> load) const override {
    const double swap_bytes = 2.0 * ctx.model.expert.weight_bytes();
    return improve(ctx, current, load, ctx.window_iterations,
                   static_cast<std::int64_t>(budget_bytes_ / swap_bytes));
  }

 private:
  // At most `swaps_left` swaps of `current` for `load` (tokens over `iterations` iterations).
  static std::optional<ExpertMap> improve(const PlacementContext& ctx, const ExpertMap& current,
                                          std::span<const double> load, std::int64_t iterations,
                                          std::int64_t swaps_left) {
    if (!ctx.gpu || !ctx.pim) return std::nullopt;
    const std::int64_t E = ctx.model.routed_experts, L = ctx.model.num_layers, N = ctx.nodes;
    // Experts of each (layer, node), single copies (swaps never replicate).
    std::vector<std::vector<std::int32_t>> held(static_cast<std::size_t>(L * N));
    for (std::int64_t l = 0; l < L; ++l)
      for (std::int32_t e = 0; e < E; ++e) {
        const auto r = current.replicas(l, e);
        if (r.size() != 1) return std::nullopt;  // not a map this policy made
        held[static_cast<std::size_t>(l * N + r[0])].push_back(e);
      }
    const double per_iteration = 1.0 / static_cast<double>(std::max<std::int64_t>(1, iterations));
    auto tokens = [&](std::int64_t l, std::int32_t e) {
      return static_cast<std::int32_t>(load[static_cast<std::size_t>(l * E + e)] * per_iteration +
                                       0.5);
    };
    auto cost = [&](std::int64_t l, std::int64_t node, const std::vector<std::int32_t>& experts) {
      return layer_cost(ctx, l, node, experts, tokens);
    };
    std::vector<sim_time_t> layer(static_cast<std::size_t>(L * N), 0);
    std::vector<sim_time_t> node(static_cast<std::size_t>(N), 0);
    for (std::int64_t l = 0; l < L; ++l) {
      if (!ctx.model.layers[static_cast<std::size_t>(l)].moe) continue;
      for (std::int64_t n = 0; n < N; ++n) {
        const auto i = static_cast<std::size_t>(l * N + n);
        layer[i] = cost(l, n, held[i]);
        node[static_cast<std::size_t>(n)] += layer[i];
      }
    }
    bool changed = false;
    while (swaps_left-- > 0) {
      // The slowest node; in its layers, try handing its hottest expert to the node that is
      // fastest in that layer for that node's coldest: keep the swap that lowers the slowest
      // node's time most without making the other one slower than it was.
      const auto worst =
          static_cast<std::int64_t>(std::max_element(node.begin(), node.end()) - node.begin());
      sim_time_t best_gain = 0;
      std::int64_t best_l = -1, best_m = -1;
      std::int32_t best_h = -1, best_c = -1;
      sim_time_t best_wc = 0, best_mc = 0;
      for (std::int64_t l = 0; l < L; ++l) {
        const auto wi = static_cast<std::size_t>(l * N + worst);
        if (!ctx.model.layers[static_cast<std::size_t>(l)].moe || held[wi].empty()) continue;
        std::int64_t m = -1;
        for (std::int64_t n = 0; n < N; ++n)
          if (n != worst && (m < 0 || layer[static_cast<std::size_t>(l * N + n)] <
                                          layer[static_cast<std::size_t>(l * N + m)]))
            m = n;
        if (m < 0) continue;
        const auto mi = static_cast<std::size_t>(l * N + m);
        if (held[mi].empty()) continue;
        auto by_tokens = [&](std::int32_t a, std::int32_t b) {
          return tokens(l, a) != tokens(l, b) ? tokens(l, a) < tokens(l, b) : a < b;
        };
        const auto h = *std::max_element(held[wi].begin(), held[wi].end(), by_tokens);
        const auto c = *std::min_element(held[mi].begin(), held[mi].end(), by_tokens);
        if (tokens(l, h) <= tokens(l, c)) continue;
        auto w2 = held[wi], m2 = held[mi];
        std::replace(w2.begin(), w2.end(), h, c);
        std::replace(m2.begin(), m2.end(), c, h);
        const sim_time_t wc = cost(l, worst, w2), mc = cost(l, m, m2);
        const sim_time_t gain = layer[wi] - wc;
        const sim_time_t m_after = node[static_cast<std::size_t>(m)] - layer[mi] + mc;
        if (gain > best_gain && m_after < node[static_cast<std::size_t>(worst)]) {
          best_gain = gain, best_l = l, best_m = m, best_h = h, best_c = c, best_wc = wc,
          best_mc = mc;
        }
      }
      if (best_l < 0) break;
      const auto wi = static_cast<std::size_t>(best_l * N + worst);
      const auto mi = static_cast<std::size_t>(best_l * N + best_m);
      std::replace(held[wi].begin(), held[wi].end(), best_h, best_c);
      std::replace(held[mi].begin(), held[mi].end(), best_c, best_h);
      node[static_cast<std::size_t>(worst)] += best_wc - layer[wi];
      node[static_cast<std::size_t>(best_m)] += best_mc - layer[mi];
      layer[wi] = best_wc;
      layer[mi] = best_mc;
      changed = true;
    }
    if (!changed) return std::nullopt;
    ExpertMap map(L, E, N);
    for (std::int64_t l = 0; l < L; ++l)
      for (std::int64_t n = 0; n < N; ++n)
        for (auto e : held[static_cast<std::size_t>(l * N + n)])
          map.add_replica(l, e, static_cast<std::int32_t>(n));
    return map;
  }

  // Sieve's split of one node's layer: all active experts on the PIM, then the most popular to
  // the GPU while max(T_gpu, T_pim) falls; on a node known to be slow (a straggler), at its
  // speed, so its hot experts move to faster nodes.
  template <class Tokens>
  static sim_time_t layer_cost(const PlacementContext& ctx, std::int64_t l, std::int64_t node,
                               const std::vector<std::int32_t>& experts, Tokens tokens) {
    const auto u = static_cast<std::size_t>(node);
    const double g = ctx.gpu_slowdown.empty() ? 1.0 : ctx.gpu_slowdown[u];
    const double p = ctx.pim_slowdown.empty() ? 1.0 : ctx.pim_slowdown[u];
    auto pim_ps = [&](std::int32_t t) {
      return static_cast<sim_time_t>(static_cast<double>(ctx.pim->expert_ps(ctx.model.expert, t)) *
                                     p);
    };
    std::vector<std::int32_t> n;
    for (auto e : experts)
      if (const auto t = tokens(l, e); t > 0) n.push_back(t);
    std::sort(n.rbegin(), n.rend());
    sim_time_t pim = 0;
    for (auto t : n) pim += pim_ps(t);
    sim_time_t best = pim;
    std::vector<std::int32_t> gpu;
    for (auto t : n) {
      gpu.push_back(t);
      pim -= pim_ps(t);
      const auto gpu_ps =
          static_cast<sim_time_t>(static_cast<double>(ctx.gpu->grouped_gemm_ps(
                                      gpu, ctx.model.expert, ctx.model.activation_dtype)) *
                                  g);
      const sim_time_t c = std::max(gpu_ps, pim);
      if (c >= best) break;
      best = c;
    }
    return best;
  }

  double budget_bytes_;
};

}  // namespace

SIEVESIM_REGISTER(PlacementRegistry, "sieve",
                  "contiguous start; at each rebalance, swaps experts to lower the largest "
                  "predicted node time under Sieve's GPU/PIM split, within migration_budget_GB",
                  [](const Params& p) { return std::make_unique<SievePlacement>(p); })

}  // namespace sievesim
