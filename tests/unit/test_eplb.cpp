// DeepSeek EPLB: the worked example of its README, exactly, and the invariants of its output.
#include <gtest/gtest.h>

#include <algorithm>

#include "place/eplb.hpp"

namespace sievesim {
namespace {

TEST(Eplb, ReproducesTheReadmeExample) {
  const std::vector<double> weight = {90, 132, 40,  61, 104, 165, 39,  4,   73,  56, 183, 86,
                                      20, 107, 104, 64, 19,  197, 187, 157, 172, 86, 16,  27};
  const EplbResult r = rebalance_experts(weight, 2, 16, 4, 2, 8);
  const std::vector<std::int32_t> expect = {5, 6,  5, 7, 8, 4,  3, 4, 10, 9, 10, 2, 0, 1, 11, 1,
                                            7, 10, 6, 8, 6, 11, 8, 9, 2,  4, 5,  1, 5, 0, 3,  1};
  EXPECT_EQ(r.phy2log, expect);
}

TEST(Eplb, OutputsAreConsistent) {
  std::vector<double> weight;
  for (int i = 0; i < 3 * 32; ++i) weight.push_back(1 + (i * 37 % 101));
  for (auto [groups, nodes] : {std::pair{8, 2}, {3, 2}}) {  // hierarchical, then global (2 !| 3)
    if (32 % groups != 0) groups = 4;
    const EplbResult r = rebalance_experts(weight, 3, 48, groups, nodes, 8);
    for (std::int64_t l = 0; l < 3; ++l) {
      std::vector<int> copies(32, 0);
      for (std::int64_t s = 0; s < 48; ++s)
        ++copies[static_cast<std::size_t>(r.phy2log[static_cast<std::size_t>(l * 48 + s)])];
      for (std::int64_t e = 0; e < 32; ++e) {
        // Every logical expert has >= 1 replica; logcnt counts them; log2phy lists them.
        EXPECT_GE(copies[static_cast<std::size_t>(e)], 1);
        EXPECT_EQ(copies[static_cast<std::size_t>(e)],
                  r.logcnt[static_cast<std::size_t>(l * 32 + e)]);
        for (std::int64_t c = 0; c < r.max_copies; ++c) {
          const auto s = r.log2phy[static_cast<std::size_t>((l * 32 + e) * r.max_copies + c)];
          if (c < copies[static_cast<std::size_t>(e)]) {
            ASSERT_GE(s, 0);
            EXPECT_EQ(r.phy2log[static_cast<std::size_t>(l * 48 + s)], e);
          } else {
            EXPECT_EQ(s, -1);
          }
        }
      }
    }
  }
  EXPECT_THROW(rebalance_experts(weight, 3, 30, 4, 2, 8), std::invalid_argument);  // R < E
}

}  // namespace
}  // namespace sievesim

#include "common/test_paths.hpp"
#include "engine/system.hpp"

namespace sievesim {
namespace {

// Expected tokens per node of the heaviest layer under the warm-up estimate.
double max_over_mean_node_load(System& x) {
  double worst = 0;
  for (std::int64_t l = 0; l < x.model.num_layers; ++l) {
    std::vector<double> node(static_cast<std::size_t>(x.cfg.nodes), 0.0);
    std::vector<std::int32_t> ex(static_cast<std::size_t>(x.model.top_k));
    std::vector<float> g(ex.size());
    for (std::uint64_t r = 0; r < 2048; ++r) {
      x.routing->route({r, 7, static_cast<std::uint32_t>(l)}, ex, g);
      for (auto e : ex) {
        const auto reps = x.expert_map.replicas(l, e);
        for (auto n : reps)
          node[static_cast<std::size_t>(n)] += 1.0 / static_cast<double>(reps.size());
      }
    }
    double mx = 0, sum = 0;
    for (auto v : node) mx = std::max(mx, v), sum += v;
    worst = std::max(worst, mx / (sum / static_cast<double>(node.size())));
  }
  return worst;
}

TEST(EplbPlacement, BalancesSkewedLoadBetterThanContiguous) {
  const std::vector<std::string> skew = {"workload.routing.zipf.s=1.2"};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.end(), skew.begin(), skew.end());
    return System::assemble(test::quickstart(), more);
  };
  const auto contiguous = with({});
  const auto eplb = with({"placement.policy=eplb", "placement.eplb.redundant_experts=16"});
  const double before = max_over_mean_node_load(*contiguous),
               after = max_over_mean_node_load(*eplb);
  EXPECT_GT(before, 1.1);
  EXPECT_LT(after, before);
  EXPECT_LT(after, 1.1);
}

}  // namespace
}  // namespace sievesim
