// The token all-to-all: every record reaches exactly the rank it was addressed to, and a round
// trip returns each record exactly once.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <tuple>

#include "common/rng.hpp"
#include "mpi/rank_map.hpp"
#include "mpi/token_exchange.hpp"

namespace sievesim {
namespace {

auto key(const TokenRecord& r) {
  return std::make_tuple(r.home_node, r.slot, r.expert, r.expert_node, r.request, r.eg_start_ps);
}

// Records of one (source node) as every rank can regenerate them: random destinations.
std::vector<TokenRecord> records_of(std::int32_t node, std::int64_t nodes, std::uint64_t seed) {
  RandomStream rng(seed, static_cast<std::uint32_t>(node), 0, 0);
  const auto n = rng.next_below(500);
  std::vector<TokenRecord> out;
  for (std::uint32_t i = 0; i < n; ++i) {
    TokenRecord r;
    r.home_node = node;
    r.slot = static_cast<std::int32_t>(i / 4);
    r.expert = static_cast<std::int32_t>(rng.next_below(1000));
    r.expert_node = static_cast<std::int32_t>(rng.next_below(static_cast<std::uint32_t>(nodes)));
    r.request = rng.next_u64();
    r.eg_start_ps = static_cast<sim_time_t>(rng.next_u32());
    r.gate = static_cast<float>(rng.next_double());
    out.push_back(r);
  }
  return out;
}

TEST(TokenExchange, RandomRecordsReachTheirRankAndComeBackOnce) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  for (std::int64_t per_rank : {1, 3}) {
    const std::int64_t nodes = per_rank * size;
    const RankMap rm(nodes, size, per_rank);
    for (std::uint64_t seed : {1ull, 2ull, 3ull}) {
      std::vector<TokenRecord> out;
      for (std::int64_t n = rm.first_node(rank); n < rm.first_node(rank) + per_rank; ++n) {
        auto r = records_of(static_cast<std::int32_t>(n), nodes, seed);
        out.insert(out.end(), r.begin(), r.end());
      }
      std::stable_sort(out.begin(), out.end(), [&](auto& a, auto& b) {
        return rm.rank_of(a.expert_node) < rm.rank_of(b.expert_node);
      });
      std::vector<int> counts(static_cast<std::size_t>(size), 0);
      for (const auto& r : out) ++counts[static_cast<std::size_t>(rm.rank_of(r.expert_node))];
      TokenExchange ex(MPI_COMM_WORLD);
      auto in = ex.exchange(out, counts);

      // Expected: every record of every node addressed to a node of this rank.
      std::vector<TokenRecord> expect;
      for (std::int64_t n = 0; n < nodes; ++n)
        for (const auto& r : records_of(static_cast<std::int32_t>(n), nodes, seed))
          if (rm.rank_of(r.expert_node) == rank) expect.push_back(r);
      auto by_key = [](auto& a, auto& b) { return key(a) < key(b); };
      std::sort(expect.begin(), expect.end(), by_key);
      std::vector<TokenRecord> got = in;
      std::sort(got.begin(), got.end(), by_key);
      ASSERT_EQ(got.size(), expect.size());
      for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(key(got[i]), key(expect[i]));

      // Send everything back home: the round trip returns this rank's records exactly.
      std::stable_sort(in.begin(), in.end(), [&](auto& a, auto& b) {
        return rm.rank_of(a.home_node) < rm.rank_of(b.home_node);
      });
      std::fill(counts.begin(), counts.end(), 0);
      for (const auto& r : in) ++counts[static_cast<std::size_t>(rm.rank_of(r.home_node))];
      auto back = ex.exchange(in, counts);
      std::sort(back.begin(), back.end(), by_key);
      std::sort(out.begin(), out.end(), by_key);
      ASSERT_EQ(back.size(), out.size());
      for (std::size_t i = 0; i < back.size(); ++i) {
        ASSERT_EQ(key(back[i]), key(out[i]));
        ASSERT_EQ(back[i].gate, out[i].gate);
      }
      EXPECT_EQ(ex.calls(), 2u);
    }
  }
}

TEST(RankMap, ValidatesLayouts) {
  std::int64_t npr = 0;
  EXPECT_TRUE(RankMap::validate(8, 4, npr).empty());
  EXPECT_EQ(npr, 2);
  npr = 0;
  EXPECT_FALSE(RankMap::validate(4, 3, npr).empty());
  npr = 3;
  EXPECT_FALSE(RankMap::validate(4, 1, npr).empty());
  const RankMap rm(8, 4, 2);
  EXPECT_EQ(rm.rank_of(5), 2);
  EXPECT_EQ(rm.first_node(3), 6);
}

}  // namespace
}  // namespace sievesim
