// Placement policies: initial placements (contiguous, random), rebalancing (invariants on random
// loads, the sieve policy on a hand case and its migration budget), replica dispatch rules, and
// user-given load files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>

#include "base/error.hpp"
#include "base/params.hpp"
#include "base/rng.hpp"
#include "common/toy_model.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "hw/preset.hpp"
#include "place/load_file.hpp"
#include "place/placement.hpp"
#include "place/replica_dispatch.hpp"

namespace sievesim {
namespace {

struct Hw {
  Hw() {
    gpu = make_gpu_model(
        resolve_preset(Params(YAML::Load("g: {preset: b200}"), "t.yaml"), "g", "gpu", "b200"));
    pim = make_pim_model(resolve_preset(Params(YAML::Load("p: {preset: hbm3e-bank-pim}"), "t.yaml"),
                                        "p", "pim", "hbm3e-bank-pim"));
  }
  std::unique_ptr<GpuModel> gpu;
  std::unique_ptr<PimModel> pim;
};

// A toy model with a real expert shape (Qwen3-30B-A3B's), so PIM and GPU costs are meaningful.
ModelSpec model(std::int64_t experts, std::int64_t layers) {
  ModelSpec m = test::toy_model(experts, 8, layers);
  m.expert.hidden = 2048;
  m.expert.intermediate = 768;
  return m;
}

std::unique_ptr<PlacementPolicy> policy(const std::string& yaml) {
  return make_placement_policy(Params(YAML::Load(yaml), "t.yaml", "placement"));
}

// Copies per node in `layer`.
std::vector<int> per_node(const ExpertMap& map, std::int64_t layer) {
  std::vector<int> c(static_cast<std::size_t>(map.nodes()), 0);
  for (std::int32_t e = 0; e < map.experts(); ++e)
    for (auto n : map.replicas(layer, e)) ++c[static_cast<std::size_t>(n)];
  return c;
}

// ---- initial placement --------------------------------------------------------------------------

TEST(Placement, ContiguousSpreadsExpertsEvenly) {
  const ModelSpec m = test::toy_model(128, 1, 2);
  auto p = make_placement_policy(Params(YAML::Load("policy: contiguous"), "t.yaml"));
  const ExpertMap map = p->initial(PlacementContext{m, 4, 4, 1});
  map.check();
  for (std::int32_t n = 0; n < 4; ++n) {
    std::vector<std::int32_t> want(32);
    std::iota(want.begin(), want.end(), 32 * n);
    EXPECT_EQ(map.local_experts(1, n), want) << "node " << n;
  }
  // Uneven: 10 experts on 4 nodes -> 3, 2, 3, 2 (e * N / E: 0 0 0 1 1 2 2 2 3 3), not 3 3 3 1
  // as blocks of ceil(E / N) would give.
  const ExpertMap m10 = p->initial(PlacementContext{test::toy_model(10, 1, 1), 4, 4, 1});
  m10.check();
  EXPECT_EQ(m10.local_experts(0, 0), (std::vector<std::int32_t>{0, 1, 2}));
  EXPECT_EQ(m10.local_experts(0, 1), (std::vector<std::int32_t>{3, 4}));
  EXPECT_EQ(m10.local_experts(0, 2), (std::vector<std::int32_t>{5, 6, 7}));
  EXPECT_EQ(m10.local_experts(0, 3), (std::vector<std::int32_t>{8, 9}));
}

TEST(Placement, RandomReplicasLandOnDistinctNodesAndAreSeeded) {
  const std::int64_t L = 3, E = 64, N = 8;
  const ModelSpec m = test::toy_model(E, 1, L);
  auto p = make_placement_policy(
      Params(YAML::Load("policy: random\nrandom: {max_replicas: 3}"), "t.yaml"));
  const ExpertMap a = p->initial(PlacementContext{m, N, 4, 5});
  const ExpertMap b = p->initial(PlacementContext{m, N, 4, 5});
  a.check();  // every expert has a copy, none twice on a node
  std::vector<int> by_copies(4, 0), by_node(static_cast<std::size_t>(N), 0);
  for (std::int64_t l = 0; l < L; ++l)
    for (std::int32_t e = 0; e < E; ++e) {
      const auto ra = a.replicas(l, e), rb = b.replicas(l, e);
      EXPECT_TRUE(std::equal(ra.begin(), ra.end(), rb.begin(), rb.end()));
      ASSERT_LE(ra.size(), 3u);
      ++by_copies[ra.size()];
      for (auto n : ra) ++by_node[static_cast<std::size_t>(n)];
    }
  // Each of the L x E = 192 (layer, expert) pairs draws 1, 2 or 3 copies with probability 1/3:
  // each count is Binomial(192, 1/3), mean 64, sd 6.5. Five sd, as for the routing counts.
  const double pairs = static_cast<double>(L * E);
  const double sd_copies = std::sqrt(pairs * (1.0 / 3) * (2.0 / 3));
  EXPECT_EQ(by_copies[0], 0);
  for (int c = 1; c <= 3; ++c)
    EXPECT_NEAR(by_copies[static_cast<std::size_t>(c)], pairs / 3, 5 * sd_copies) << c << " copies";
  // A pair's copies are a uniform subset of the nodes, so a node holds one of them with
  // probability copies / N, E[copies] / N = 2/8 overall: Bernoulli(1/4) per pair, 48 per node,
  // sd 6.0.
  const double share = 2.0 / static_cast<double>(N);
  for (std::int64_t n = 0; n < N; ++n)
    EXPECT_NEAR(by_node[static_cast<std::size_t>(n)], pairs * share,
                5 * std::sqrt(pairs * share * (1 - share)))
        << "node " << n;
}

// ---- sieve placement --------------------------------------------------------------------------

TEST(SievePlacement, SwapsAHotExpertOffTheOverloadedNode) {
  Hw hw;
  const ModelSpec m = model(8, 1);
  auto p = policy("policy: sieve\nsieve: {migration_budget_GB: 100}");
  PlacementContext ctx{m, 2, 2, 1, nullptr, hw.gpu.get(), hw.pim.get(), 1};
  const ExpertMap start = p->initial(ctx);  // node 0: experts 0-3, node 1: 4-7
  ASSERT_EQ(start.replicas(0, 1)[0], 0);
  // Experts 0 and 1 are hot and both on node 0; the rest take a token each.
  std::vector<double> load = {300, 300, 1, 1, 1, 1, 1, 1};
  const auto next = p->rebalance(ctx, start, load);
  ASSERT_TRUE(next.has_value()) << "a swap lowers the slowest node's time and must happen";
  next->check();
  const bool split = next->replicas(0, 0)[0] != next->replicas(0, 1)[0];
  EXPECT_TRUE(split) << "the two hot experts end on different nodes";
  EXPECT_EQ(per_node(*next, 0), (std::vector<int>{4, 4})) << "swaps keep every node's slots";
  // Tokens per node: 300 + 300 + 1 + 1 and 4 before; one hot and three cold experts each after
  // the one swap that helps (a second would only move the pair of hot experts to node 1).
  EXPECT_EQ(node_loads(start, load), (std::vector<double>{602, 4}));
  EXPECT_EQ(node_loads(*next, load), (std::vector<double>{303, 303}));
}

TEST(SievePlacement, RespectsTheMigrationBudget) {
  Hw hw;
  const ModelSpec m = model(16, 4);
  const double swap_GB = 2.0 * m.expert.weight_bytes() / 1e9;
  std::vector<double> load(static_cast<std::size_t>(4 * 16), 1.0);
  for (std::int64_t l = 0; l < 4; ++l)  // every layer: node 0 holds the four hot experts
    for (int e = 0; e < 4; ++e) load[static_cast<std::size_t>(l * 16 + e)] = 200;
  for (const int swaps : {0, 1, 3}) {
    auto p = policy("policy: sieve\nsieve: {migration_budget_GB: " +
                    std::to_string(swaps * swap_GB * 1.0001) + "}");
    PlacementContext ctx{m, 4, 4, 1, nullptr, hw.gpu.get(), hw.pim.get(), 1};
    const ExpertMap start = p->initial(ctx);
    const auto next = p->rebalance(ctx, start, load);
    if (swaps == 0) {
      EXPECT_FALSE(next.has_value());
      continue;
    }
    ASSERT_TRUE(next.has_value());
    int moved = 0;
    for (std::int64_t l = 0; l < 4; ++l)
      for (std::int32_t e = 0; e < 16; ++e)
        moved += next->replicas(l, e)[0] != start.replicas(l, e)[0];
    // Node 0 keeps at least 13 of the 16 hot experts, so it stays the slowest and each swap of
    // one of them for a cold expert still lowers it: the policy spends the whole budget, and
    // every swap moves two experts.
    EXPECT_EQ(moved, 2 * swaps) << "budget of " << swaps << " swaps";
  }
}

TEST(SievePlacement, GivenLoadsShapeTheInitialPlacement) {
  Hw hw;
  const ModelSpec m = model(8, 1);
  GivenLoad given{{300, 300, 1, 1, 1, 1, 1, 1}, 1};
  auto p = policy("policy: sieve");
  const ExpertMap map =
      p->initial(PlacementContext{m, 2, 2, 1, nullptr, hw.gpu.get(), hw.pim.get(), 1, &given});
  map.check();
  // The two hot experts end on different nodes, with three cold ones each: 303 tokens a node.
  EXPECT_EQ(node_loads(map, given.tokens), (std::vector<double>{303, 303}));
  // Without loads it is plain expert parallelism.
  const ExpertMap plain =
      p->initial(PlacementContext{m, 2, 2, 1, nullptr, hw.gpu.get(), hw.pim.get()});
  EXPECT_EQ(plain.replicas(0, 1)[0], 0);
}

// ---- invariants of every rebalance on random loads ----------------------------------------------

TEST(Rebalance, InvariantsHoldOnRandomLoads) {
  Hw hw;
  const std::int64_t L = 3, E = 32, N = 4;
  const ModelSpec m = model(E, L);
  RandomStream rng(7, 0, 0, 0);
  for (const std::string yaml : {"policy: eplb\neplb: {redundant_experts: 8, groups: 4}",
                                 "policy: sieve\nsieve: {migration_budget_GB: 1}"}) {
    auto p = policy(yaml);
    PlacementContext ctx{m, N, 2, 3, nullptr, hw.gpu.get(), hw.pim.get(), 2};
    const auto slots = p->slots_per_node(ctx);
    ASSERT_TRUE(slots.has_value()) << yaml;
    ExpertMap map = p->initial(ctx);
    for (int trial = 0; trial < 40; ++trial) {
      std::vector<double> load(static_cast<std::size_t>(L * E));
      const double s = 0.3 * (trial % 5);  // Zipf-like skew from flat to steep
      for (auto& v : load) v = std::floor(400.0 / std::pow(1.0 + rng.next_below(E), s));
      auto next = p->rebalance(ctx, map, load);
      if (!next) continue;
      ASSERT_NO_THROW(next->check()) << yaml;  // every expert has a copy, none twice on a node
      for (std::int32_t n = 0; n < N; ++n)
        EXPECT_LE(expert_copies(*next, m, n), *slots) << yaml << ": node " << n;
      for (std::int64_t l = 0; l < L; ++l) {
        // Every node fills its slots of the layer: exactly (sieve swaps keep counts) or up to
        // them (EPLB may pack two slots of one expert on a node; the node keeps one copy).
        const auto c = per_node(*next, l);
        const int want = static_cast<int>(*slots / L);
        for (std::int64_t n = 0; n < N; ++n) {
          EXPECT_LE(c[static_cast<std::size_t>(n)], want) << yaml;
          if (yaml.find("sieve") != std::string::npos) {
            EXPECT_EQ(c[static_cast<std::size_t>(n)], want) << yaml;
          }
        }
      }
      map = std::move(*next);
    }
  }
}

// ---- replica dispatch ---------------------------------------------------------------------------

std::unique_ptr<ReplicaDispatch> dispatch(const std::string& name) {
  return make_replica_dispatch(
      Params(YAML::Load("replica_dispatch: " + name), "t.yaml", "placement"));
}

TEST(ReplicaDispatch, EvenSpreadsRequestsOverReplicas) {
  const auto d = dispatch("even");
  const std::vector<std::int32_t> reps = {1, 3, 6};
  std::vector<std::int64_t> sent(8, 0);
  std::map<std::int32_t, int> hits;
  for (std::uint64_t r = 0; r < 30000; ++r) ++hits[d->pick(reps, 5, r, DispatchView{0, 4, sent})];
  ASSERT_EQ(hits.size(), 3u);
  for (const auto& [node, n] : hits) EXPECT_NEAR(n, 10000, 400) << "node " << node;
  // One request always uses the same replica of an expert.
  EXPECT_EQ(d->pick(reps, 5, 42, DispatchView{0, 4, sent}),
            d->pick(reps, 5, 42, DispatchView{7, 4, sent}));
}

TEST(ReplicaDispatch, NearestPrefersOwnNodeThenOwnServer) {
  const auto d = dispatch("nearest");
  std::vector<std::int64_t> sent(8, 0);
  std::map<std::int32_t, int> far;
  const int requests = 200;
  for (std::uint64_t r = 0; r < requests; ++r) {
    EXPECT_EQ(d->pick(std::vector<std::int32_t>{2, 5}, 1, r, DispatchView{5, 4, sent}), 5);
    // Node 6 is in server 1 (nodes 4-7) with the copy on 5; node 2's server is 0.
    EXPECT_EQ(d->pick(std::vector<std::int32_t>{2, 5}, 1, r, DispatchView{6, 4, sent}), 5);
    ++far[d->pick(std::vector<std::int32_t>{0, 1}, 1, r, DispatchView{6, 4, sent})];
  }
  // Neither copy is near node 6: the (request, expert) hash spreads the requests over both,
  // Binomial(200, 1/2) each (sd 7.1), within 5 sd.
  ASSERT_EQ(far.size(), 2u);
  EXPECT_EQ(far[0] + far[1], requests);
  EXPECT_NEAR(far[0], requests / 2, 5 * std::sqrt(requests * 0.25));
}

TEST(ReplicaDispatch, LeastLoadedPicksTheNodeThisSourceSentLeast) {
  const auto d = dispatch("least-loaded");
  std::vector<std::int64_t> sent = {5, 0, 3, 9};
  for (std::uint64_t r = 0; r < 50; ++r)
    EXPECT_EQ(d->pick(std::vector<std::int32_t>{0, 2, 3}, 4, r, DispatchView{1, 4, sent}), 2);
  // A stream of tokens to one replicated expert alternates: counts stay within one.
  std::vector<std::int64_t> s2(4, 0);
  for (std::uint64_t r = 0; r < 101; ++r)
    ++s2[static_cast<std::size_t>(
        d->pick(std::vector<std::int32_t>{1, 3}, 4, r, DispatchView{0, 4, s2}))];
  EXPECT_LE(std::abs(s2[1] - s2[3]), 1);
}

TEST(ReplicaDispatch, UnknownRuleIsAnInputError) {
  try {
    dispatch("closest");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "placement.replica_dispatch: unknown replica dispatch rule 'closest'"),
              std::string::npos)
        << e.what();
  }
}

// ---- load files ---------------------------------------------------------------------------------

std::string write(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() / ("sievesim_load_" + name);
  std::ofstream(p) << text;
  return p.string();
}

TEST(LoadFile, ReadsCsvWithHeaderAndComments) {
  ModelSpec m = model(4, 3);
  m.layers[0].moe = false;  // a dense first layer, as DeepSeek-V3 has
  const auto f =
      write("ok.csv", "layer,expert,tokens\n# measured\n1,0,10\n1, 3, 2.5\n2,1,7\n1,0,1\n");
  const GivenLoad g = read_load_file(f, m);
  EXPECT_EQ(g.iterations, 1);
  ASSERT_EQ(g.tokens.size(), 12u);
  EXPECT_EQ(g.tokens[4 + 0], 11.0);  // repeated rows add up
  EXPECT_EQ(g.tokens[4 + 3], 2.5);
  EXPECT_EQ(g.tokens[8 + 1], 7.0);
  EXPECT_EQ(std::count(g.tokens.begin(), g.tokens.end(), 0.0), 9);
}

TEST(LoadFile, BadLinesNameFileAndLine) {
  ModelSpec m = model(4, 3);
  m.layers[0].moe = false;
  const std::pair<std::string, std::string> cases[] = {
      {"layer,expert,tokens\n1,0,3\n1,x,3\n", "line 3: expected 'layer,expert,tokens'"},
      {"1,4,3\n", "line 1: expert 4 out of range"},
      {"0,1,3\n", "line 1: layer 0 is not an MoE layer"},
      {"5,1,3\n", "line 1: layer 5 is not an MoE layer"},
      {"1,1,-2\n", "line 1: tokens must be >= 0"},
      {"1,1,1e23\n", "line 1: tokens must be at most 2147483647 (got 1e+23)"},
      {"# nothing\n", "no 'layer,expert,tokens' lines"},
  };
  int i = 0;
  for (const auto& [text, want] : cases) {
    const auto f = write("bad" + std::to_string(i++) + ".csv", text);
    try {
      read_load_file(f, m);
      FAIL() << "expected InputError for: " << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(f + ": " + want), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(read_load_file("/nonexistent/load.csv", m), InputError);
}

TEST(LoadFile, EplbReplicatesTheExpertTheFileSaysIsHot) {
  const ModelSpec m = model(8, 1);
  GivenLoad given{{1, 1, 1, 900, 1, 1, 1, 1}, 1};
  auto p = policy("policy: eplb\neplb: {redundant_experts: 4}");
  const ExpertMap map =
      p->initial(PlacementContext{m, 4, 4, 1, nullptr, nullptr, nullptr, 1, &given});
  map.check();
  // All four spare slots go to the hot expert: five slots, so a copy on each of the 4 nodes.
  EXPECT_EQ(map.replicas(0, 3).size(), 4u);
  for (std::int32_t e = 0; e < 8; ++e)
    if (e != 3) {
      EXPECT_EQ(map.replicas(0, e).size(), 1u);
    }
}

}  // namespace
}  // namespace sievesim
