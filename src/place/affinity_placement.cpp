// Affinity placement, in the spirit of ExFlow (Yao et al., 2024: experts chosen in sequence across
// layers placed on one GPU) and MoETuner (Go and Mahajan, 2025: placement that balances load and
// cuts token traffic using the routing's dependencies). From a sample of the configured routing
// it counts, per MoE layer, how often a token picks two experts together (co-activation) and how
// often a token that picked expert i in the previous MoE layer picks j here (cross-layer), then
// places each layer's experts, E/N per node, to maximize the chosen affinity kept on one node
// while no node's sampled load exceeds (1 + imbalance_slack) of the balanced (LPT) placement's
// largest: a swap search from that balanced start.
//
// What each affinity buys depends on the data path. sievesim sends a token once to each node
// that holds any of its experts and back to its own node after every layer (attention is data
// parallel), so co-activation on one node saves dispatch and combine copies, while cross-layer
// affinity saves traffic only where a token's state moves on from its expert's node (ExFlow's
// setting); `objective: cross-layer` is there to measure that difference, not to win here.
#include <algorithm>
#include <numeric>
#include <vector>

#include "place/placement.hpp"
#include "workload/routing.hpp"

namespace sievesim {
namespace {

class AffinityPlacement final : public PlacementPolicy {
 public:
  explicit AffinityPlacement(const Params& p)
      : objective_(p.param<std::string>("objective")
                       .one_of({"co-activation", "cross-layer", "both"})
                       .desc("what to keep on one node: experts a token picks together in a "
                             "layer (co-activation), experts picked in sequence from one MoE "
                             "layer to the next (cross-layer), or the sum of both")
                       .dflt("co-activation")),
        sample_(p.param<std::int64_t>("sample_tokens")
                    .min(1)
                    .max(1 << 22)
                    .desc("tokens of the configured routing sampled to count affinities and "
                          "loads: request t at decode step t mod 256 past its position 0")
                    .dflt(8192)),
        slack_(p.param<double>("imbalance_slack")
                   .min(0)
                   .max(10)
                   .desc("largest node load allowed, over the balanced (LPT) placement's "
                         "largest, minus 1")
                   .dflt(0.05)) {}

  ExpertMap initial(const PlacementContext& ctx) const override {
    const std::int64_t E = ctx.model.routed_experts, L = ctx.model.num_layers, N = ctx.nodes;
    if (E % N != 0 || !ctx.routing) return contiguous_map(ctx);
    const Sample s = sample(ctx);
    ExpertMap map(L, E, N);
    std::vector<std::int32_t> prev_node;  // node of each expert in the previous MoE layer
    std::int64_t m = 0;
    for (std::int64_t l = 0; l < L; ++l) {
      if (!ctx.model.layers[static_cast<std::size_t>(l)].moe) {
        for (std::int32_t e = 0; e < E; ++e)
          map.add_replica(l, e, static_cast<std::int32_t>(static_cast<std::int64_t>(e) * N / E));
        continue;
      }
      const auto node = place_layer(s, m++, prev_node, N);
      for (std::int32_t e = 0; e < E; ++e) map.add_replica(l, e, node[static_cast<std::size_t>(e)]);
      prev_node = node;
    }
    return map;
  }

 private:
  // Per MoE layer m: loads, co-activation counts pair[m][i * E + j] and cross-layer counts
  // follow[m][i * E + j] (i in MoE layer m - 1, j in m).
  struct Sample {
    std::int64_t experts = 0;
    std::vector<std::vector<double>> load, pair, follow;
  };

  Sample sample(const PlacementContext& ctx) const {
    const std::int64_t E = ctx.model.routed_experts;
    const auto k = static_cast<std::size_t>(ctx.model.top_k);
    const auto EE = static_cast<std::size_t>(E * E);
    Sample s;
    s.experts = E;
    std::vector<std::uint32_t> moe;
    for (std::size_t l = 0; l < ctx.model.layers.size(); ++l)
      if (ctx.model.layers[l].moe) moe.push_back(static_cast<std::uint32_t>(l));
    s.load.assign(moe.size(), std::vector<double>(static_cast<std::size_t>(E), 0.0));
    s.pair.assign(moe.size(), std::vector<double>(EE, 0.0));
    s.follow.assign(moe.size(), std::vector<double>(EE, 0.0));
    std::vector<std::int32_t> ex(k), before(k);
    std::vector<float> g(k);
    for (std::int64_t t = 0; t < sample_; ++t) {
      for (std::size_t m = 0; m < moe.size(); ++m) {
        ctx.routing->route(
            RouteKey{static_cast<std::uint64_t>(t), static_cast<std::uint32_t>(t % 256), moe[m]},
            ex, g);
        for (std::size_t a = 0; a < k; ++a) {
          const auto i = static_cast<std::size_t>(ex[a]);
          s.load[m][i] += 1.0;
          for (std::size_t b = a + 1; b < k; ++b) {
            const auto j = static_cast<std::size_t>(ex[b]);
            s.pair[m][i * static_cast<std::size_t>(E) + j] += 1.0;
            s.pair[m][j * static_cast<std::size_t>(E) + i] += 1.0;
          }
          if (m > 0)
            for (const auto p : before)
              s.follow[m][static_cast<std::size_t>(p) * static_cast<std::size_t>(E) + i] += 1.0;
        }
        before = ex;
      }
    }
    return s;
  }

  // Nodes of MoE layer m's experts: LPT-balanced start, then the best improving swaps.
  std::vector<std::int32_t> place_layer(const Sample& s, std::int64_t m,
                                        const std::vector<std::int32_t>& prev_node,
                                        std::int64_t N) const {
    const std::int64_t E = s.experts;
    const auto Eu = static_cast<std::size_t>(E);
    const auto& load = s.load[static_cast<std::size_t>(m)];
    const auto& pair = s.pair[static_cast<std::size_t>(m)];
    const bool same = objective_ != "cross-layer";
    const bool cross = objective_ != "co-activation" && !prev_node.empty();
    // Cross-layer affinity of expert j to node n: tokens that picked an expert of node n in the
    // previous MoE layer and j here.
    std::vector<double> to_node(Eu * static_cast<std::size_t>(N), 0.0);
    if (cross)
      for (std::size_t i = 0; i < Eu; ++i)
        for (std::size_t j = 0; j < Eu; ++j)
          to_node[j * static_cast<std::size_t>(N) + static_cast<std::size_t>(prev_node[i])] +=
              s.follow[static_cast<std::size_t>(m)][i * Eu + j];

    // Longest processing time first onto the least loaded node with a free slot: a balanced
    // start whose largest load sets the cap.
    std::vector<std::int32_t> order(Eu);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
      return load[static_cast<std::size_t>(a)] > load[static_cast<std::size_t>(b)];
    });
    std::vector<std::int32_t> node(Eu, 0);
    std::vector<double> node_load(static_cast<std::size_t>(N), 0.0);
    std::vector<std::int64_t> slots(static_cast<std::size_t>(N), E / N);
    for (const auto e : order) {
      std::size_t best = 0;
      bool found = false;
      for (std::size_t n = 0; n < static_cast<std::size_t>(N); ++n)
        if (slots[n] > 0 && (!found || node_load[n] < node_load[best])) best = n, found = true;
      node[static_cast<std::size_t>(e)] = static_cast<std::int32_t>(best);
      node_load[best] += load[static_cast<std::size_t>(e)];
      --slots[best];
    }
    const double cap = (1.0 + slack_) * *std::max_element(node_load.begin(), node_load.end());

    // with[e * N + n]: co-activation of expert e with the experts on node n (itself excluded).
    std::vector<double> with(Eu * static_cast<std::size_t>(N), 0.0);
    for (std::size_t a = 0; a < Eu; ++a)
      for (std::size_t b = 0; b < Eu; ++b)
        if (a != b)
          with[a * static_cast<std::size_t>(N) + static_cast<std::size_t>(node[b])] +=
              pair[a * Eu + b];
    const auto affinity = [&](std::size_t e, std::size_t n) {
      return (same ? with[e * static_cast<std::size_t>(N) + n] : 0.0) +
             (cross ? to_node[e * static_cast<std::size_t>(N) + n] : 0.0);
    };
    // Swaps of experts a (node x) and b (node y) while one gains; each pass takes the best swap of
    // every a. The pair a-b stays split, so their own co-activation drops out of the gain.
    for (int pass = 0; pass < 64; ++pass) {
      bool improved = false;
      for (std::size_t a = 0; a < Eu; ++a) {
        const auto x = static_cast<std::size_t>(node[a]);
        double best_gain = 1e-9;
        std::size_t best_b = Eu;
        for (std::size_t b = 0; b < Eu; ++b) {
          const auto y = static_cast<std::size_t>(node[b]);
          if (y == x) continue;
          const double shift = load[a] - load[b];
          if (node_load[y] + shift > cap || node_load[x] - shift > cap) continue;
          const double split = same ? 2 * pair[a * Eu + b] : 0.0;
          const double gain =
              affinity(a, y) + affinity(b, x) - affinity(a, x) - affinity(b, y) - split;
          if (gain > best_gain) best_gain = gain, best_b = b;
        }
        if (best_b == Eu) continue;
        const auto b = best_b;
        const auto y = static_cast<std::size_t>(node[b]);
        const double shift = load[a] - load[b];
        node_load[x] -= shift;
        node_load[y] += shift;
        for (std::size_t c = 0; c < Eu; ++c) {
          const auto cn = static_cast<std::size_t>(N);
          if (c != a) with[c * cn + x] -= pair[c * Eu + a], with[c * cn + y] += pair[c * Eu + a];
          if (c != b) with[c * cn + y] -= pair[c * Eu + b], with[c * cn + x] += pair[c * Eu + b];
        }
        node[a] = static_cast<std::int32_t>(y);
        node[b] = static_cast<std::int32_t>(x);
        improved = true;
      }
      if (!improved) break;
    }
    return node;
  }

  std::string objective_;
  std::int64_t sample_;
  double slack_;
};

}  // namespace

SIEVESIM_REGISTER(PlacementRegistry, "affinity",
                  "experts a token picks together (co-activation) or in sequence across layers "
                  "(cross-layer) placed on one node, loads within imbalance_slack of balanced, "
                  "from a sample of the configured routing",
                  [](const Params& p) { return std::make_unique<AffinityPlacement>(p); })

}  // namespace sievesim
