// The paper's systems as described: BF16 paper setups, PIMoE's local channel numbering and its
// derived throttle-aware threshold, Sieve's decision cost and stream, per-call network cost.
#include <gtest/gtest.h>

#include <set>

#include "base/params.hpp"
#include "common/recording_devices.hpp"
#include "common/test_paths.hpp"
#include "engine/ports.hpp"
#include "engine/system.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/net/fabric_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "hw/preset.hpp"
#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

std::string paper(const std::string& name) {
  return test::source_dir() + "/configs/paper/" + name + ".yaml";
}

TEST(PaperSetups, RunEveryModelInBf16AndKeepTheCheckpointFormatAsAVariant) {
  for (const char* setup : {"qwen3-30b-1gpu", "gpt-oss-120b-4gpu", "qwen3.5-397b-8gpu"}) {
    auto x_sys = System::assemble(paper(setup), {});
    System& x = *x_sys;
    EXPECT_EQ(x.model.expert.weight_dtype, DType::kBF16) << setup;
    EXPECT_EQ(x.model.shared_expert.weight_dtype, DType::kBF16) << setup;
    EXPECT_EQ(x.model.weight_dtype, DType::kBF16) << setup;
  }
  auto mx_sys = System::assemble(paper("gpt-oss-120b-4gpu"), {"model.weight_dtype=checkpoint"});
  System& mx = *mx_sys;
  EXPECT_EQ(mx.model.expert.weight_dtype, DType::kMXFP4);
  EXPECT_EQ(mx.model.weight_dtype, DType::kBF16);  // attention stays BF16 in the checkpoint
  // BF16 experts are 2 / (4.25 / 8) = 3.76x the bytes of MXFP4 ones.
  auto bf_sys = System::assemble(paper("gpt-oss-120b-4gpu"), {});
  System& bf = *bf_sys;
  EXPECT_NEAR(bf.model.expert.weight_bytes() / mx.model.expert.weight_bytes(), 3.76, 0.05);
  auto f8_sys = System::assemble(paper("qwen3-30b-1gpu"), {"model.weight_dtype=fp8"});
  System& f8 = *f8_sys;
  EXPECT_EQ(f8.model.expert.weight_dtype, DType::kFP8);
  EXPECT_THROW(System::assemble(paper("qwen3-30b-1gpu"), {"model.weight_dtype=int3"}), InputError);
}

struct Hw : ::testing::Test {
  Hw() {
    const Params g(YAML::Load("g: {preset: b200}"), "t.yaml");
    gpu = make_gpu_model(resolve_preset(g, "g", "gpu", "b200"));
    const Params p(YAML::Load("p: {preset: hbm3e-bank-pim}"), "t.yaml");
    pim = make_pim_model(resolve_preset(p, "p", "pim", "hbm3e-bank-pim"));
    model.hidden = 2048;
    model.expert = ExpertShape{2048, 768, true, false, DType::kBF16};
  }
  std::unique_ptr<ExpertScheduler> sched(const std::string& yaml, std::int64_t local = 128) {
    auto s = make_scheduler(Params(YAML::Load(yaml), "t.yaml", "scheduler"));
    s->setup(SchedulerSetup{model, *gpu, *pim, local});
    return s;
  }
  SchedulerInput input(const std::vector<ExpertLoad>& loads) {
    return SchedulerInput{0, loads, model.expert, DType::kBF16, *gpu, *pim, 0, 0};
  }
  std::string derived(const ExpertScheduler& s, const std::string& label) {
    for (const auto& [k, v] : s.derived())
      if (k.find(label) != std::string::npos) return v;
    return "";
  }
  std::unique_ptr<GpuModel> gpu;
  std::unique_ptr<PimModel> pim;
  ModelSpec model;
};

TEST_F(Hw, PimoeSpreadsANodesOwnExpertsOverAllItsChannels) {
  // A node holding global experts 1000.. (not a multiple of anything): one token each, as many
  // experts as channels. Local numbering gives every channel group exactly one expert.
  const auto channels = pim->channels();
  std::vector<ExpertLoad> loads;
  for (std::int64_t i = 0; i < channels; ++i)
    loads.push_back(
        ExpertLoad{static_cast<std::int32_t>(1000 + 3 * i), 1, 0, static_cast<std::int32_t>(i)});
  auto s = sched("name: pimoe\npimoe: {threshold_tokens: 4}");
  const SchedulerInput in = input(loads);
  const ExpertSplit split = s->split(in);
  ASSERT_EQ(static_cast<std::int64_t>(split.pim.size()), channels);
  EXPECT_TRUE(s->uses_local_index());
  // Every channel busy with its one expert, all in parallel: each finishes after one expert's
  // time on one channel (two on a channel would finish twice as late).
  test::RecordingDevices dev;
  std::vector<sim_time_t> done;
  const sim_time_t one = pim->expert_ps(model.expert, 1, 1, 0);
  EXPECT_EQ(test::execute_alone(*s, in, split, done, dev), one);
  for (const auto d : done) EXPECT_EQ(d, one);
  EXPECT_EQ(dev.pim_busy_ps, one);  // as busy as its busiest group
  EXPECT_EQ(dev.experts[1], channels);
}

TEST_F(Hw, PimoeChannelsPerExpertSetsTheGroups) {
  std::vector<ExpertLoad> loads;
  for (std::int32_t i = 0; i < 64; ++i) loads.push_back(ExpertLoad{i, 1, 0, i});
  auto s = sched("name: pimoe\npimoe: {threshold_tokens: 4, channels_per_expert: 8}");
  const SchedulerInput in = input(loads);
  const ExpertSplit split = s->split(in);
  ASSERT_EQ(split.pim.size(), 64u);
  // 64 experts over channels / 8 groups of 8 channels: each group runs 64 / groups experts one
  // after another, the groups side by side.
  const std::int64_t groups = pim->channels() / 8;
  ASSERT_EQ(64 % groups, 0);
  sim_time_t group_end = 0;
  for (std::int64_t k = 0; k < 64 / groups; ++k)
    group_end += pim->expert_ps(model.expert, 1, 8, group_end);
  test::RecordingDevices dev;
  std::vector<sim_time_t> done;
  EXPECT_EQ(test::execute_alone(*s, in, split, done, dev), group_end);
  const std::set<sim_time_t> finish_times(done.begin(), done.end());
  EXPECT_EQ(static_cast<std::int64_t>(finish_times.size()), 64 / groups);
}

TEST_F(Hw, PimoeThresholdIsWherePowerLimitedPimStopsBeatingTheGpu) {
  const std::int64_t local = 128;
  auto s = sched("name: pimoe", local);
  const std::string d = derived(*s, "threshold");
  ASSERT_NE(d.find("derived"), std::string::npos) << d;
  const std::int32_t t = std::stoi(d);
  // At one token per expert the PIM wins (t >= 1): the 128 experts, one per channel, take one
  // expert's time on one channel (about 21 us), while the GPU streams all their 1.2 GB of
  // weights (about 180 us).
  ASSERT_GE(t, 1);
  // The definition, checked from outside: at t the PIM (every channel busy, one expert each) is
  // no slower than one grouped GEMM of the same experts; at t + 1 it is.
  const auto groups = pim->channels();
  auto pim_ps = [&](std::int32_t n) {
    return ((local + groups - 1) / groups) * pim->expert_ps(model.expert, n, 1);
  };
  auto gpu_ps = [&](std::int32_t n) {
    return gpu->grouped_gemm_ps(std::vector<std::int32_t>(local, n), model.expert, DType::kBF16);
  };
  EXPECT_LE(pim_ps(t), gpu_ps(t));
  EXPECT_GT(pim_ps(t + 1), gpu_ps(t + 1));
  // The split follows it.
  std::vector<ExpertLoad> loads = {{0, t, 0, 0}, {1, t + 1, 0, 1}};
  const ExpertSplit split = s->split(input(loads));
  ASSERT_EQ(split.pim.size(), 1u);
  EXPECT_EQ(split.pim[0], 0);
  ASSERT_EQ(split.gpu.size(), 1u);
  EXPECT_EQ(split.gpu[0], 1);
  // An explicit value overrides the derivation; anything else is an input error.
  EXPECT_EQ(derived(*sched("name: pimoe\npimoe: {threshold_tokens: 7}"), "threshold"), "7 (given)");
  EXPECT_THROW(sched("name: pimoe\npimoe: {threshold_tokens: lots}"), InputError);
  EXPECT_THROW(sched("name: pimoe\npimoe: {threshold_tokens: -1}"), InputError);
}

TEST_F(Hw, PimoeThresholdFallsWhenThePimIsPowerLimited) {
  auto limited = sched("name: pimoe");
  const Params p(YAML::Load("p: {preset: hbm3e-bank-pim, power_limit: false}"), "t.yaml");
  const auto free_pim = make_pim_model(resolve_preset(p, "p", "pim", "hbm3e-bank-pim"));
  auto s = make_scheduler(Params(YAML::Load("name: pimoe"), "t.yaml", "scheduler"));
  s->setup(SchedulerSetup{model, *gpu, *free_pim, 128});
  // Strictly: the power limit spaces the MACs 6 tCK apart instead of 4, so the PIM stops
  // beating the GPU at fewer tokens per expert.
  EXPECT_LT(std::stoi(derived(*limited, "threshold")), std::stoi(derived(*s, "threshold")));
}

TEST_F(Hw, SieveDecisionCostGrowsWithTheExpertsItSorts) {
  auto s = sched("name: sieve");
  auto cost = [&](std::int32_t n) {
    std::vector<ExpertLoad> loads;
    for (std::int32_t i = 0; i < n; ++i) loads.push_back(ExpertLoad{i, 1 + i % 5, 0, i});
    return s->split(input(loads));
  };
  const sim_time_t launch = gpu->launch_ps();
  // 256 active experts (DeepSeek-R1's layer) cost the paper's 20 us; fewer cost less, linearly.
  EXPECT_EQ(cost(256).decision_ps, us_to_ps(20.0));
  EXPECT_EQ(cost(128).decision_ps, launch + (us_to_ps(20.0) - launch) / 2);
  EXPECT_EQ(cost(8).decision_ps, launch + (us_to_ps(20.0) - launch) * 8 / 256);
  EXPECT_LT(cost(8).decision_ps, us_to_ps(2.0));
  EXPECT_FALSE(cost(8).decision_blocks_gpu);  // a side stream by default
  auto blocking = sched("name: sieve\nsieve: {decision_stream: blocking}");
  std::vector<ExpertLoad> one = {{0, 3, 0, 0}};
  EXPECT_TRUE(blocking->split(input(one)).decision_blocks_gpu);
  EXPECT_EQ(sched("name: sieve\nsieve: {decision_us: 0}")->split(input(one)).decision_ps, 0);
  EXPECT_THROW(sched("name: sieve\nsieve: {decision_stream: maybe}"), InputError);
}

std::unique_ptr<FabricModel> fabric(const std::string& name) {
  const Params f(YAML::Load("f: {preset: " + name + "}"), "t.yaml");
  return make_fabric_model(resolve_preset(f, "f", "fabric", name));
}

TEST(NetworkCalls, EveryCallPaysItsFixedCostOnceWhateverTheBytes) {
  const auto up = fabric("nvlink4"), out = fabric("ib-ndr");
  const Topology topo(8, *up, *out, 1e12);
  // pplx-kernels, EP8 NVLink, 1 token per GPU: 41.6 us measured = call + hop + bytes.
  EXPECT_EQ(topo.call_ps(8, CallKind::kDispatch), us_to_ps(39.4));
  EXPECT_EQ(topo.call_ps(1, CallKind::kDispatch), 0);  // one GPU: no all-to-all at all
  EXPECT_EQ(topo.call_ps(16, CallKind::kDispatch), us_to_ps(96.4));  // spans servers: IB's
  EXPECT_EQ(topo.call_ps(16, CallKind::kCombine), us_to_ps(55.0));
  // Messages of one call: the first leaves after the call cost, the rest queue behind it.
  for (double bytes : {0.0, 1e3, 1e6}) {
    std::vector<OutMessage> m = {{1, bytes, 0}, {2, bytes, 0}, {0, bytes, 0}};
    NodePorts p;
    p.send(0, 8, m, topo, topo.call_ps(8, CallKind::kDispatch));
    sim_time_t first = m[0].eg_start_ps;
    for (const auto& x : m) first = std::min(first, x.eg_start_ps);
    EXPECT_EQ(first, us_to_ps(39.4)) << bytes;  // local copy included: same kernel
  }
  // A message ready later than the call opens leaves when ready.
  std::vector<OutMessage> late = {{1, 1e3, 0}, {2, 1e3, us_to_ps(100)}};
  NodePorts p;
  p.send(0, 8, late, topo, us_to_ps(39.4));
  for (const auto& x : late)
    if (x.dst == 2) {
      EXPECT_EQ(x.eg_start_ps, us_to_ps(100));
    }
}

}  // namespace
}  // namespace sievesim
