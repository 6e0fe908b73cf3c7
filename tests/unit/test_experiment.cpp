// Loading whole experiments: HBM capacity checks and the cap-batch policy.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/test_paths.hpp"
#include "config/experiment.hpp"

namespace sievesim {
namespace {

TEST(Experiment, QuickstartFitsAndUsesThePimStacksCapacity) {
  const Experiment x = load_experiment(test::quickstart(), {});
  EXPECT_EQ(x.capped_batch_from, 0);
  EXPECT_LE(x.memory_per_node_bytes(), x.usable_hbm_bytes());
  // B200 has 180 GB; 8 HBM3E PIM stacks of 24 GB hold 192 GB: the smaller one counts.
  EXPECT_DOUBLE_EQ(x.usable_hbm_bytes(), 180e9);
  const Experiment small =
      load_experiment(test::quickstart(), {"system.pim.capacity_GB_per_stack=5"});
  EXPECT_DOUBLE_EQ(small.usable_hbm_bytes(), 40e9);
}

TEST(Experiment, OverCapacityIsAnErrorUnlessTheBatchMayBeCapped) {
  EXPECT_THROW(load_experiment(test::quickstart(), {"workload.batch_per_node=100000"}), InputError);
  const Experiment x = load_experiment(
      test::quickstart(), {"workload.batch_per_node=100000", "workload.over_capacity=cap-batch"});
  EXPECT_EQ(x.capped_batch_from, 100000);
  EXPECT_GE(x.workload.batch_per_node, 1);
  EXPECT_LT(x.workload.batch_per_node, 100000);
  EXPECT_LE(x.memory_per_node_bytes(), x.usable_hbm_bytes());
  // One more request would not fit: the cap is the largest batch that does.
  Experiment y = load_experiment(
      test::quickstart(), {"workload.batch_per_node=100000", "workload.over_capacity=cap-batch"});
  y.workload.batch_per_node += 1;
  EXPECT_GT(y.memory_per_node_bytes(), y.usable_hbm_bytes());
  // Weights alone too big: capping cannot help.
  EXPECT_THROW(load_experiment(test::quickstart(), {"workload.over_capacity=cap-batch",
                                                    "system.pim.capacity_GB_per_stack=0.5"}),
               InputError);
}

}  // namespace
}  // namespace sievesim

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
