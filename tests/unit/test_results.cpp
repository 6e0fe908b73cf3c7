// The summary statistics of a run (engine/results.hpp).
#include <gtest/gtest.h>

#include "engine/results.hpp"

namespace sievesim {
namespace {

TEST(Percentiles, NearestRankOnSortedValues) {
  std::vector<sim_time_t> v;
  for (sim_time_t i = 100; i >= 1; --i) v.push_back(i);  // unsorted on purpose
  const Percentiles p = Percentiles::of(v);
  EXPECT_EQ(p.mean, 50);  // 50.5 truncated
  EXPECT_EQ(p.p50, 50);
  EXPECT_EQ(p.p90, 90);
  EXPECT_EQ(p.p99, 99);
  const Percentiles one = Percentiles::of({7});
  EXPECT_EQ(one.p50, 7);
  EXPECT_EQ(one.p99, 7);
  EXPECT_EQ(Percentiles::of({}).p99, 0);
}

}  // namespace
}  // namespace sievesim
