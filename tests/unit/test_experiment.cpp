// Loading whole experiments: HBM capacity checks (weights, then the longest request's KV).
#include <gtest/gtest.h>

#include "base/error.hpp"
#include "common/test_paths.hpp"
#include "engine/system.hpp"

namespace sievesim {
namespace {

TEST(Experiment, QuickstartFitsAndUsesThePimStacksCapacity) {
  auto x_sys = System::assemble(test::quickstart(), {});
  System& x = *x_sys;
  // B200 has 180 GB; 8 HBM3E PIM stacks of 24 GB hold 192 GB: the smaller one counts.
  EXPECT_DOUBLE_EQ(x.usable_hbm_bytes(), 180e9);
  auto small_sys = System::assemble(test::quickstart(), {"system.pim.capacity_GB_per_stack=5"});
  System& small = *small_sys;
  EXPECT_DOUBLE_EQ(small.usable_hbm_bytes(), 40e9);
  // KV capacity: 90 % of HBM minus the weights of the node; contiguous placement spreads the
  // experts evenly, so every node has the same.
  EXPECT_DOUBLE_EQ(x.cfg.workload.batching.kv_capacity_bytes, 0.9 * 180e9 - x.weight_bytes_on(0));
  EXPECT_DOUBLE_EQ(x.weight_bytes_on(0), x.weight_bytes_on(3));
  EXPECT_NEAR(x.weight_bytes_on(0),
              x.model.non_expert_weight_bytes() + x.model.routed_expert_bytes_total() / 4, 1.0);
  EXPECT_EQ(x.total_requests, 256);
}

TEST(Experiment, WeightsOrARequestThatCanNeverFitAreInputErrors) {
  // Weights alone too big.
  EXPECT_THROW(System::assemble(test::quickstart(), {"system.pim.capacity_GB_per_stack=0.5"}),
               InputError);
  // A request whose KV cache alone exceeds what the weights leave.
  try {
    System::assemble(test::quickstart(), {"workload.requests.prompt=10000000"});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "workload.requests");
  }
  // The bound of a distribution counts, not its typical value.
  EXPECT_THROW(System::assemble(test::quickstart(),
                                {"workload.requests.prompt={dist: uniform, uniform: {min: 10, "
                                 "max: 10000000}}"}),
               InputError);
  EXPECT_NO_THROW(System::assemble(
      test::quickstart(),
      {"workload.requests.prompt={dist: lognormal, lognormal: {median: 1000, sigma: 1}}"}));
}

}  // namespace
}  // namespace sievesim
