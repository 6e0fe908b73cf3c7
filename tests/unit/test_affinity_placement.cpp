// The affinity placement policy on routing whose structure is known: experts that are always
// picked together end up on one node (every token then has one destination), experts picked in
// sequence across layers follow their predecessor's node, and the load cap and the slot count
// hold whatever the routing.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "base/params.hpp"
#include "common/toy_model.hpp"
#include "place/placement.hpp"
#include "workload/routing.hpp"

namespace sievesim {
namespace {

// 16 experts, top-4, 4 groups: token t picks group g = (t * 7 + layer) mod 4, whose members are
// the experts with e mod 4 == g (scattered over a contiguous placement: one per node).
class GroupedRouting final : public RoutingSource {
 public:
  void route(const RouteKey& key, std::span<std::int32_t> experts,
             std::span<float> gates) const override {
    const auto g = static_cast<std::int32_t>((key.request * 7 + key.layer) % 4);
    for (std::int32_t j = 0; j < 4; ++j) {
      experts[static_cast<std::size_t>(j)] = g + 4 * j;
      gates[static_cast<std::size_t>(j)] = 0.25f;
    }
  }
};

// 16 experts, top-1: token t picks expert (t mod 16) in layer 0 and perm^l of it in layer l, with
// perm(e) = 5e + 3 mod 16: cross-layer affinity is a permutation, co-activation none.
class ChainRouting final : public RoutingSource {
 public:
  static std::int32_t perm(std::int32_t e) { return (5 * e + 3) % 16; }
  void route(const RouteKey& key, std::span<std::int32_t> experts,
             std::span<float> gates) const override {
    auto e = static_cast<std::int32_t>(key.request % 16);
    for (std::uint32_t l = 0; l < key.layer; ++l) e = perm(e);
    experts[0] = e;
    gates[0] = 1.0f;
  }
};

ExpertMap place(const std::string& objective, const ModelSpec& m, const RoutingSource& r,
                std::int64_t nodes) {
  const auto p = make_placement_policy(Params(
      YAML::Load("policy: affinity\naffinity: {objective: " + objective + ", sample_tokens: 1024}"),
      "t.yaml", "placement"));
  PlacementContext ctx{m, nodes, 4, 1};
  ctx.routing = &r;
  ExpertMap map = p->initial(ctx);
  map.check();
  return map;
}

std::int32_t node_of(const ExpertMap& map, std::int64_t layer, std::int32_t e) {
  const auto r = map.replicas(layer, e);
  EXPECT_EQ(r.size(), 1u);
  return r[0];
}

TEST(AffinityPlacement, CoActivatedExpertsShareANode) {
  const ModelSpec m = test::toy_model(16, 4, 3);
  const GroupedRouting routing;
  // Contiguous: each group's 4 experts on 4 nodes.
  const ExpertMap flat = contiguous_map(PlacementContext{m, 4, 4, 1});
  const ExpertMap map = place("co-activation", m, routing, 4);
  for (std::int64_t l = 0; l < 3; ++l) {
    std::vector<int> per_node(4, 0);
    for (std::int32_t g = 0; g < 4; ++g) {
      std::set<std::int32_t> nodes, flat_nodes;
      for (std::int32_t j = 0; j < 4; ++j) {
        nodes.insert(node_of(map, l, g + 4 * j));
        flat_nodes.insert(node_of(flat, l, g + 4 * j));
      }
      EXPECT_EQ(nodes.size(), 1u) << "layer " << l << " group " << g;
      EXPECT_EQ(flat_nodes.size(), 4u);
    }
    for (std::int32_t e = 0; e < 16; ++e) ++per_node[static_cast<std::size_t>(node_of(map, l, e))];
    EXPECT_EQ(per_node, std::vector<int>(4, 4)) << "layer " << l;
  }
}

TEST(AffinityPlacement, CrossLayerSuccessorsFollowTheirPredecessorsNode) {
  const ModelSpec m = test::toy_model(16, 1, 4);
  const ChainRouting routing;
  const ExpertMap map = place("cross-layer", m, routing, 4);
  for (std::int64_t l = 1; l < 4; ++l)
    for (std::int32_t e = 0; e < 16; ++e)
      EXPECT_EQ(node_of(map, l, ChainRouting::perm(e)), node_of(map, l - 1, e))
          << "layer " << l << " expert " << e;
  // Co-activation alone has nothing to go on (top-1) and keeps the balanced start.
  const ExpertMap co = place("co-activation", m, routing, 4);
  int followed = 0;
  for (std::int32_t e = 0; e < 16; ++e)
    followed += node_of(co, 1, ChainRouting::perm(e)) == node_of(co, 0, e);
  EXPECT_LT(followed, 16);
}

// Skewed routing: experts 0..3 take most tokens. Whatever the objective, every node keeps E/N
// experts and the sampled node loads stay within the slack of a balanced placement's largest.
TEST(AffinityPlacement, SlotsAndLoadCapHoldOnSkewedRouting) {
  const ModelSpec m = test::toy_model(32, 2, 2);
  const auto zipf = make_routing_source(
      Params(YAML::Load("source: zipf\nzipf: {s: 1.2, locality: 0.3}"), "t.yaml"),
      RoutingContext{m, 3, ""});
  for (const char* obj : {"co-activation", "cross-layer", "both"}) {
    const ExpertMap map = place(obj, m, *zipf, 4);
    std::vector<std::int32_t> ex(2);
    std::vector<float> g(2);
    for (std::int64_t l = 0; l < 2; ++l) {
      std::vector<double> load(32, 0.0);
      for (std::uint64_t t = 0; t < 1024; ++t) {
        zipf->route({t, static_cast<std::uint32_t>(t % 256), static_cast<std::uint32_t>(l)}, ex, g);
        for (auto e : ex) load[static_cast<std::size_t>(e)] += 1;
      }
      // The balanced (LPT) start's largest load, recomputed here.
      std::vector<std::int32_t> order(32);
      for (std::int32_t e = 0; e < 32; ++e) order[static_cast<std::size_t>(e)] = e;
      std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) {
        return load[static_cast<std::size_t>(a)] > load[static_cast<std::size_t>(b)];
      });
      std::vector<double> lpt(4, 0.0);
      std::vector<int> slots(4, 8);
      for (auto e : order) {
        std::size_t best = 4;
        for (std::size_t n = 0; n < 4; ++n)
          if (slots[n] > 0 && (best == 4 || lpt[n] < lpt[best])) best = n;
        lpt[best] += load[static_cast<std::size_t>(e)];
        --slots[best];
      }
      const double cap = 1.05 * *std::max_element(lpt.begin(), lpt.end());
      std::vector<double> node_load(4, 0.0);
      std::vector<int> count(4, 0);
      for (std::int32_t e = 0; e < 32; ++e) {
        const auto n = static_cast<std::size_t>(node_of(map, l, e));
        node_load[n] += load[static_cast<std::size_t>(e)];
        ++count[n];
      }
      EXPECT_EQ(count, std::vector<int>(4, 8)) << obj;
      for (double v : node_load) EXPECT_LE(v, cap + 1e-9) << obj << " layer " << l;
    }
  }
}

}  // namespace
}  // namespace sievesim
