// Expert schedulers: the static ones, Sieve, Duplex, PIMoE and the oracle on hand-made and
// random loads, and the PIM cost table Sieve learns from.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <numeric>

#include "base/params.hpp"
#include "base/rng.hpp"
#include "common/recording_devices.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "hw/preset.hpp"
#include "sched/pim_cost_table.hpp"
#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

Params section(const std::string& yaml) {
  return Params(YAML::Load(yaml), "t.yaml", "scheduler");
}

struct SchedFixture : ::testing::Test {
  SchedFixture() {
    const Params g(YAML::Load("g: {preset: b200}"), "t.yaml");
    gpu = make_gpu_model(resolve_preset(g, "g", "gpu", "b200"));
    const Params p(YAML::Load("p: {preset: hbm3e-bank-pim}"), "t.yaml");
    pim = make_pim_model(resolve_preset(p, "p", "pim", "hbm3e-bank-pim"));
    shape.hidden = 2048;
    shape.intermediate = 768;
  }
  SchedulerInput input(const std::vector<ExpertLoad>& loads, sim_time_t comm = 0) {
    return SchedulerInput{0, loads, shape, DType::kBF16, *gpu, *pim, comm, 0};
  }
  // max(comm, GPU(G), PIM(P)) with the PIM model's own costs (what Sieve minimizes once its
  // table has measured every count).
  sim_time_t objective(const SchedulerInput& in, const ExpertSplit& s) {
    sim_time_t p = 0;
    for (auto i : s.pim) p += pim->expert_ps(shape, in.experts[i].tokens);
    return std::max({in.comm_ps, gpu_set_ps(in, s.gpu), p + in.attention_pim_ps});
  }
  std::unique_ptr<GpuModel> gpu;
  std::unique_ptr<PimModel> pim;
  ExpertShape shape;
};

std::vector<ExpertLoad> bimodal() {
  // A few popular experts and a long tail of 1-2-token experts, as in modern MoE decode.
  std::vector<ExpertLoad> l;
  const int tokens[] = {120, 80, 40, 9, 4, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1};
  for (int i = 0; i < 16; ++i) l.push_back(ExpertLoad{i, tokens[i], 0, i});
  return l;
}

TEST_F(SchedFixture, StaticSchedulersPlaceEverythingOnOneSide) {
  const auto loads = bimodal();
  auto g = make_scheduler(section("name: gpu-only"));
  auto a = make_scheduler(section("name: allexp"));
  const auto sg = g->split(input(loads));
  const auto sa = a->split(input(loads));
  EXPECT_EQ(sg.gpu.size(), loads.size());
  EXPECT_TRUE(sg.pim.empty());
  EXPECT_EQ(sa.pim.size(), loads.size());
  EXPECT_TRUE(sa.gpu.empty());
  EXPECT_FALSE(g->attention_on_pim());
  EXPECT_TRUE(a->attention_on_pim());
  EXPECT_FALSE(a->overlap());
}

TEST_F(SchedFixture, SieveMovesPopularExpertsToTheGpuAndBeatsBothExtremes) {
  auto s = make_scheduler(section("name: sieve"));
  const auto loads = bimodal();
  // Teach the table the PIM model's times, as the runtime does after each PIM expert.
  for (const auto& l : loads) s->observe_pim(l.tokens, pim->expert_ps(shape, l.tokens));
  const auto in = input(loads);
  const auto split = s->split(in);
  // 16 active experts of the 256 the paper's 20 us covers: a launch plus 16 serial steps.
  EXPECT_EQ(split.decision_ps, gpu->launch_ps() + (20 * kPsPerUs - gpu->launch_ps()) * 16 / 256);
  ASSERT_EQ(split.gpu.size() + split.pim.size(), loads.size());
  // The GPU set is a prefix of the experts by popularity.
  for (auto gi : split.gpu)
    for (auto pi : split.pim) EXPECT_GE(loads[gi].tokens, loads[pi].tokens);
  // And the best one (bimodal() is sorted by popularity): the 13 small experts take 12.1 us on
  // the PIM, about what one grouped GEMM of the three popular ones takes on the GPU (12.0 us);
  // with two on the GPU the PIM needs 27.5 us, with four the GPU 13.5 us.
  std::vector<sim_time_t> by_prefix;
  for (std::size_t k = 0; k <= loads.size(); ++k) {
    ExpertSplit p;
    for (std::size_t i = 0; i < loads.size(); ++i)
      (i < k ? p.gpu : p.pim).push_back(static_cast<std::int32_t>(i));
    by_prefix.push_back(objective(in, p));
  }
  const auto best = static_cast<std::size_t>(std::min_element(by_prefix.begin(), by_prefix.end()) -
                                             by_prefix.begin());
  EXPECT_EQ(best, 3u);
  EXPECT_EQ(split.gpu.size(), best);
  EXPECT_EQ(objective(in, split), by_prefix[best]);
  ExpertSplit all_gpu, all_pim;
  all_gpu.gpu.resize(loads.size());
  std::iota(all_gpu.gpu.begin(), all_gpu.gpu.end(), 0);
  all_pim.pim = all_gpu.gpu;
  EXPECT_LT(objective(in, split), objective(in, all_gpu));
  EXPECT_LT(objective(in, split), objective(in, all_pim));
}

TEST_F(SchedFixture, SieveStopsWhenCommunicationDominates) {
  auto s = make_scheduler(section("name: sieve"));
  const auto loads = bimodal();
  // With communication longer than anything the split changes, no move improves the maximum.
  const auto split = s->split(input(loads, 1000 * kPsPerUs));
  EXPECT_TRUE(split.gpu.empty());
}

TEST_F(SchedFixture, SharedOptionsOverrideSchedulerDefaults) {
  auto s = make_scheduler(section("name: sieve\nattention: gpu\noverlap: off"));
  EXPECT_FALSE(s->attention_on_pim());
  EXPECT_FALSE(s->overlap());
  EXPECT_THROW(make_scheduler(section("name: nope")), InputError);
  EXPECT_THROW(make_scheduler(section("name: sieve\nattention: cpu")), InputError);
}

// The first local minimum of objective over popularity prefixes, by brute force.
std::size_t first_local_min_prefix(const SchedulerInput& in,
                                   const std::vector<sim_time_t>& pim_cost,
                                   const std::function<sim_time_t(sim_time_t, sim_time_t)>& obj) {
  std::vector<std::int32_t> order(in.experts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](auto a, auto b) { return in.experts[a].tokens > in.experts[b].tokens; });
  auto cost = [&](std::size_t k) {
    sim_time_t pim = 0;
    for (std::size_t j = k; j < order.size(); ++j) pim += pim_cost[order[j]];
    return obj(gpu_set_ps(in, std::span<const std::int32_t>(order.data(), k)), pim);
  };
  std::size_t k = 0;
  while (k < order.size() && cost(k + 1) < cost(k)) ++k;
  return k;
}

TEST_F(SchedFixture, NoExpRunsAttentionOnPimAndEveryExpertOnTheGpu) {
  auto s = make_scheduler(section("name: noexp"));
  const auto loads = bimodal();
  const auto split = s->split(input(loads));
  EXPECT_EQ(split.gpu.size(), loads.size());
  EXPECT_TRUE(split.pim.empty());
  EXPECT_TRUE(s->attention_on_pim());
  EXPECT_FALSE(s->overlap());
}

TEST_F(SchedFixture, PimoeSplitsByThresholdIntoChannelGroups) {
  auto s =
      make_scheduler(section("name: pimoe\npimoe: {threshold_tokens: 2, channels_per_expert: 4}"));
  const auto loads = bimodal();
  const auto in = input(loads);
  const auto split = s->split(in);
  // Tokens 120 80 40 9 4 3 go to the GPU; 2 2 2 1 1 1 1 1 1 1 to the PIM.
  EXPECT_EQ(split.gpu.size(), 6u);
  ASSERT_EQ(split.pim.size(), 10u);
  for (auto i : split.pim) EXPECT_LE(loads[i].tokens, 2);
  // Executed, each PIM expert runs on the 4-channel group of its local index (the node's
  // numbering), after the experts of the same group before it in the PIM order.
  const auto groups = pim->channels() / 4;  // 8 stacks x 16 channels / 4
  std::vector<sim_time_t> group_t(static_cast<std::size_t>(groups), 0), done;
  test::RecordingDevices dev;
  test::execute_alone(*s, in, split, done, dev);
  for (auto i : split.pim) {
    sim_time_t& t = group_t[static_cast<std::size_t>(loads[i].local % groups)];
    t += pim->expert_ps(shape, loads[i].tokens, 4, t);
    EXPECT_EQ(done[i], t) << "expert " << loads[i].expert;
  }
  // Why the groups cost time: each of an expert's matrices on 4 channels puts 128 / 4 = 32 times
  // the weights, so 32 times the MACs, on every channel it uses than striped over all 128.
  for (const auto& mat : shape.matrices())
    EXPECT_EQ(pim->gemv(mat.rows, mat.cols, 1, shape.weight_dtype, 4).commands.mac,
              32 * pim->gemv(mat.rows, mat.cols, 1, shape.weight_dtype).commands.mac)
        << mat.rows << " x " << mat.cols;
}

TEST_F(SchedFixture, DuplexStopsAtTheFirstLocalMinimumOfMaxGpuPimOnRooflines) {
  auto s = make_scheduler(section("name: duplex"));
  const auto loads = bimodal();
  const auto in = input(loads, 1000 * kPsPerUs);  // Duplex ignores communication
  std::vector<sim_time_t> roof;
  for (const auto& l : loads) roof.push_back(pim->roofline_expert_ps(shape, l.tokens));
  const auto split = s->split(in);
  const auto k =
      first_local_min_prefix(in, roof, [](sim_time_t g, sim_time_t p) { return std::max(g, p); });
  EXPECT_EQ(split.gpu.size(), k);
  // The roofline PIM takes 72 ns a token: with the 120-token expert on the GPU (8.9 us) the 149
  // tokens left take 10.7 us there; with the 80-token one too the GPU needs 10.5 us and the PIM
  // 5.0 us; a third expert only lengthens the GPU (12.0 us).
  EXPECT_EQ(k, 2u);
  EXPECT_FALSE(s->overlap());
}

TEST_F(SchedFixture, SieveStopsAtTheFirstLocalMinimumOfItsObjective) {
  auto s = make_scheduler(section("name: sieve"));
  const auto loads = bimodal();
  std::vector<sim_time_t> measured;
  for (const auto& l : loads) {
    s->observe_pim(l.tokens, pim->expert_ps(shape, l.tokens));
    measured.push_back(pim->expert_ps(shape, l.tokens));
  }
  auto in = input(loads, 30 * kPsPerUs);
  in.attention_pim_ps = 10 * kPsPerUs;
  const auto split = s->split(in);
  const auto k = first_local_min_prefix(in, measured, [&](sim_time_t g, sim_time_t p) {
    return std::max({in.comm_ps, g, p + in.attention_pim_ps});
  });
  EXPECT_EQ(split.gpu.size(), k);
}

TEST(PimCostTable, RooflineUntilMeasuredThenMovingAverage) {
  PimCostTable t(0.5);
  EXPECT_EQ(t.estimate(3, 777), 777);
  t.observe(3, 1000);
  EXPECT_EQ(t.estimate(3, 777), 1000);
  t.observe(3, 2000);
  EXPECT_EQ(t.estimate(3, 777), 1500);
  EXPECT_EQ(t.estimate(2, 5), 5);
  // Counts past the dense range behave the same (kept in the map).
  const std::int32_t big = PimCostTable::kDense + 5000;
  EXPECT_FALSE(t.known(big));
  EXPECT_EQ(t.estimate(big, 777), 777);
  t.observe(big, 4000);
  t.observe(big, 2000);
  EXPECT_EQ(t.estimate(big, 777), 3000);
  EXPECT_FALSE(t.known(big - 1));
  EXPECT_FALSE(t.known(-1));
}

// Sieve's objective with the PIM model's own costs, for any split.
sim_time_t true_objective(const SchedulerInput& in, const ExpertSplit& s) {
  sim_time_t pim = 0;
  for (auto i : s.pim) pim += in.pim.expert_ps(in.shape, in.experts[i].tokens);
  return std::max(
      {in.comm_ps, s.gpu.empty() ? 0 : gpu_set_ps(in, s.gpu), pim + in.attention_pim_ps});
}

std::vector<ExpertLoad> random_loads(RandomStream& rng, std::size_t n, std::uint32_t max_tokens) {
  std::vector<ExpertLoad> l;
  for (std::size_t i = 0; i < n; ++i) {
    // Bimodal: mostly 1-4 tokens, sometimes many.
    const std::uint32_t t =
        rng.next_below(4) == 0 ? 1 + rng.next_below(max_tokens) : 1 + rng.next_below(4);
    l.push_back(ExpertLoad{static_cast<std::int32_t>(i * 3), static_cast<std::int32_t>(t), 0});
  }
  return l;
}

TEST_F(SchedFixture, OracleMatchesBruteForceOnSmallExpertCounts) {
  auto oracle = make_scheduler(section("name: oracle"));
  RandomStream rng(11, 0, 0, 0);
  for (int trial = 0; trial < 60; ++trial) {
    const auto loads = random_loads(rng, 1 + rng.next_below(10), 200);
    auto in = input(loads, rng.next_below(3) * 20 * kPsPerUs);
    in.attention_pim_ps = rng.next_below(3) * 10 * kPsPerUs;
    const auto n = loads.size();
    sim_time_t brute = kTimeNever;
    for (std::uint32_t mask = 0; mask < (1u << n); ++mask) {
      ExpertSplit s;
      for (std::size_t i = 0; i < n; ++i)
        ((mask >> i) & 1 ? s.gpu : s.pim).push_back(static_cast<std::int32_t>(i));
      brute = std::min(brute, true_objective(in, s));
    }
    const auto split = oracle->split(in);
    ASSERT_EQ(split.gpu.size() + split.pim.size(), n);
    EXPECT_EQ(true_objective(in, split), brute) << "trial " << trial;
  }
}

TEST_F(SchedFixture, OracleIsNeverWorseThanAnyHeuristic) {
  auto oracle = make_scheduler(section("name: oracle"));
  std::vector<std::unique_ptr<ExpertScheduler>> others;
  for (const char* name : {"sieve", "duplex", "pimoe", "allexp", "noexp", "gpu-only"})
    others.push_back(make_scheduler(section(std::string("name: ") + name)));
  // Sieve with a table that has measured every count (its best case).
  for (std::int32_t t = 1; t <= 300; ++t) others[0]->observe_pim(t, pim->expert_ps(shape, t));
  RandomStream rng(12, 0, 0, 0);
  for (int trial = 0; trial < 2000; ++trial) {
    const auto loads = random_loads(rng, 1 + rng.next_below(32), 128);
    auto in = input(loads, rng.next_below(4) * 15 * kPsPerUs);
    in.attention_pim_ps = rng.next_below(3) * 10 * kPsPerUs;
    const sim_time_t best = true_objective(in, oracle->split(in));
    for (auto& s : others) ASSERT_LE(best, true_objective(in, s->split(in))) << "trial " << trial;
  }
}

}  // namespace
}  // namespace sievesim
