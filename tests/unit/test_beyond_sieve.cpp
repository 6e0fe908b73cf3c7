// Sieve's variants beyond the paper (issue 16): a token-level split of the boundary expert runs
// every token exactly once and lowers the objective where whole experts cannot balance; a
// decide-ahead split that mispredicts still places every active expert exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "base/params.hpp"
#include "common/recording_devices.hpp"
#include "common/toy_model.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "hw/preset.hpp"
#include "sched/scheduler.hpp"
#include "sched/token_split.hpp"

namespace sievesim {
namespace {

struct BeyondSieve : ::testing::Test {
  BeyondSieve() {
    gpu = make_gpu_model(
        resolve_preset(Params(YAML::Load("g: {preset: b200}"), "t.yaml"), "g", "gpu", "b200"));
    pim = make_pim_model(resolve_preset(Params(YAML::Load("p: {preset: hbm3e-bank-pim}"), "t.yaml"),
                                        "p", "pim", "hbm3e-bank-pim"));
    shape.hidden = 2048;
    shape.intermediate = 768;
  }
  SchedulerInput input(std::int64_t layer, const std::vector<ExpertLoad>& loads) {
    return SchedulerInput{layer, loads, shape, DType::kBF16, *gpu, *pim, 0, 0};
  }
  std::unique_ptr<GpuModel> gpu;
  std::unique_ptr<PimModel> pim;
  ExpertShape shape;
};

sim_time_t max_of(sim_time_t a, sim_time_t b) {
  return std::max(a, b);
}

// One expert of 4096 tokens is compute-bound on the GPU (~19 us on a B200); with a PIM of 5 ns per
// token neither whole placement balances (all on the GPU ~19 us, all on the PIM ~20 us), half and
// half about halves the layer.
TEST_F(BeyondSieve, TokenSplitBalancesOneComputeBoundExpert) {
  const std::vector<ExpertLoad> loads{{7, 4096, 0, 0}};
  const auto in = input(0, loads);
  const auto pim_cost = [](std::size_t, std::int32_t tokens) { return sim_time_t{5000} * tokens; };
  std::vector<sim_time_t> whole_cost{pim_cost(0, 4096)};
  ExpertSplit s = popular_to_gpu(in, whole_cost, max_of);
  const sim_time_t whole = s.gpu.empty() ? whole_cost[0] : gpu_set_ps(in, s.gpu);
  const TokenSplit t = refine_token_split(in, s, pim_cost, max_of);
  ASSERT_EQ(t.gpu_tokens.size(), 1u);
  EXPECT_GT(t.gpu_tokens[0], 0);
  EXPECT_LT(t.gpu_tokens[0], 4096);
  EXPECT_EQ(s.gpu, std::vector<std::int32_t>{0});
  EXPECT_EQ(s.pim, std::vector<std::int32_t>{0});
  const std::vector<std::int32_t> part{t.gpu_tokens[0]};
  const sim_time_t split =
      std::max(gpu->grouped_gemm_ps(part, shape, DType::kBF16), pim_cost(0, 4096 - part[0]));
  EXPECT_LT(split, whole * 7 / 10) << "split " << split << " whole " << whole;
}

// Sieve with split: token on random loads: every token runs exactly once, on one device; every
// expert is on a list and finishes after its tokens arrived; at most one expert is on both.
TEST_F(BeyondSieve, TokenSplitRunsEveryTokenOnce) {
  auto sched = make_scheduler(
      Params(YAML::Load("name: sieve\nsieve: {split: token}"), "t.yaml", "scheduler"));
  std::uint64_t x = 12345;
  int splits = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<ExpertLoad> loads;
    std::int64_t total = 0;
    for (std::int32_t e = 0; e < 32; ++e) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      const auto tokens = static_cast<std::int32_t>((x >> 33) % (trial % 2 ? 600 : 12));
      if (tokens == 0) continue;
      loads.push_back({e, tokens, static_cast<sim_time_t>((x >> 20) % 5000), e});
      total += tokens;
    }
    const auto in = input(0, loads);
    const ExpertSplit s = sched->split(in);
    std::set<std::int32_t> gpu(s.gpu.begin(), s.gpu.end()), pim(s.pim.begin(), s.pim.end());
    std::int32_t both = 0;
    for (std::size_t i = 0; i < loads.size(); ++i) {
      const auto k = static_cast<std::int32_t>(i);
      EXPECT_TRUE(gpu.count(k) || pim.count(k)) << "expert left out";
      both += gpu.count(k) && pim.count(k);
    }
    EXPECT_LE(both, 1);
    splits += both;
    test::RecordingDevices dev;
    std::vector<sim_time_t> done;
    test::execute_alone(*sched, in, s, done, dev);
    EXPECT_EQ(dev.tokens[0] + dev.tokens[1], total) << "trial " << trial;
    for (std::size_t i = 0; i < loads.size(); ++i) EXPECT_GE(done[i], loads[i].ready_ps);
  }
  EXPECT_GT(splits, 0) << "no trial split an expert: the test would not see a token lost";
}

// Decide ahead: the first iteration has no history (everything predicted cold), a later one a
// history of other experts. Whatever the prediction, every active expert is on exactly one list,
// and with a good prediction the decision costs less than deciding on the counts.
TEST_F(BeyondSieve, DecideAheadPlacesEveryExpertWhateverThePrediction) {
  auto ahead = make_scheduler(Params(
      YAML::Load("name: sieve\nsieve: {decide: ahead, repair_moves: 2}"), "t.yaml", "scheduler"));
  auto on_counts = make_scheduler(Params(YAML::Load("name: sieve"), "t.yaml", "scheduler"));
  const ModelSpec m = test::toy_model(64, 4, 2);
  ahead->setup(SchedulerSetup{m, *gpu, *pim, 64});
  const auto check = [&](const std::vector<ExpertLoad>& loads) {
    const ExpertSplit s = ahead->split(input(1, loads));
    std::vector<int> seen(loads.size(), 0);
    for (auto i : s.gpu) ++seen[static_cast<std::size_t>(i)];
    for (auto i : s.pim) ++seen[static_cast<std::size_t>(i)];
    EXPECT_EQ(seen, std::vector<int>(loads.size(), 1));
    return s;
  };
  std::vector<ExpertLoad> hot_low, hot_high;
  for (std::int32_t e = 0; e < 32; ++e) {
    hot_low.push_back({e, e < 4 ? 200 : 1, 0, e});
    hot_high.push_back({e + 32, e >= 28 ? 200 : 1, 0, e});
  }
  check(hot_low);                  // no history
  check(hot_high);                 // history of other experts: a full mispredict
  const auto s = check(hot_high);  // predicted right
  const auto exact = on_counts->split(input(1, hot_high));
  EXPECT_LT(s.decision_ps, exact.decision_ps);
  std::set<std::int32_t> g(s.gpu.begin(), s.gpu.end()), ge(exact.gpu.begin(), exact.gpu.end());
  EXPECT_EQ(g, ge) << "a right prediction gives the on-counts split";
}

}  // namespace
}  // namespace sievesim
