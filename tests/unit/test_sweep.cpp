// Sweep points: the cross product in order, and names that say which key had which value.
#include <gtest/gtest.h>

#include "base/error.hpp"
#include "config/sweep.hpp"

namespace sievesim {
namespace {

std::vector<std::string> labels(const std::vector<SweepAxis>& axes) {
  std::vector<std::string> out;
  for (const auto& p : sweep_points(axes)) out.push_back(p.label);
  return out;
}

TEST(Sweep, OneKeyKeepsItsPlainValueAndItsLastPartAsName) {
  const auto points = sweep_points({{"workload.requests.closed.concurrency", {"4", "64"}}});
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[1].label, "concurrency=64");
  EXPECT_EQ(points[1].value, "64");
  EXPECT_EQ(points[1].overrides,
            std::vector<std::string>{"workload.requests.closed.concurrency=64"});
}

TEST(Sweep, AGridIsTheCrossProductFirstKeyOutermost) {
  const std::vector<SweepAxis> axes = {{"a.x", {"1", "2"}}, {"b.y", {"p", "q", "r"}}};
  EXPECT_EQ(labels(axes), (std::vector<std::string>{"x=1,y=p", "x=1,y=q", "x=1,y=r", "x=2,y=p",
                                                    "x=2,y=q", "x=2,y=r"}));
  const auto last = sweep_points(axes).back();
  EXPECT_EQ(last.value, "x=2,y=r");
  EXPECT_EQ(last.overrides, (std::vector<std::string>{"a.x=2", "b.y=r"}));
  EXPECT_EQ(sweep_keys_text(axes), "a.x,b.y");
}

TEST(Sweep, KeysSharingTheirLastPartAreNamedInFull) {
  EXPECT_EQ(
      labels({{"placement.random.max_replicas", {"2"}}, {"placement.eplb.max_replicas", {"3"}}}),
      std::vector<std::string>{"placement.random.max_replicas=2,placement.eplb.max_replicas=3"});
}

TEST(Sweep, NoAxesIsOnePointWithoutOverrides) {
  const auto points = sweep_points({});
  ASSERT_EQ(points.size(), 1u);
  EXPECT_TRUE(points[0].label.empty() && points[0].value.empty() && points[0].overrides.empty());
}

TEST(Sweep, BadGridsAreInputErrorsNamingTheKey) {
  auto key_of = [](const std::vector<SweepAxis>& axes) {
    try {
      check_sweep(axes, "e.yaml", "sweep.grid.");
    } catch (const InputError& e) {
      return e.key();
    }
    return std::string("accepted");
  };
  EXPECT_EQ(key_of({{"a.x", {"1"}}, {"a.x", {"2"}}}), "sweep.grid.a.x");
  EXPECT_EQ(key_of({{"a.x", {}}}), "sweep.grid.a.x");
  EXPECT_EQ(key_of({{"a.x", {"1", "1"}}}), "sweep.grid.a.x");
  EXPECT_EQ(key_of({{"sweep.key", {"1"}}}), "sweep.grid.sweep.key");
  EXPECT_EQ(key_of({{"a.x", {"1"}}, {"b.y", {"1"}}}), "accepted");
  EXPECT_THROW(parse_sweep_option("a.x=,", "--sweep"), InputError);
  EXPECT_THROW(parse_sweep_option("=1,2", "--sweep"), InputError);
  EXPECT_EQ(parse_sweep_option("a.x=1,,2", "--sweep").values, (std::vector<std::string>{"1", "2"}));
}

}  // namespace
}  // namespace sievesim
