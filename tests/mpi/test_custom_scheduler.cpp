// A scheduler with its own execution strategy, written the way a researcher adds one: a class in
// one file, registered by name, that never touches the engine. This one splits every active
// expert's tokens, half on the GPU (one grouped GEMM over the halves) and the rest on the PIM
// (each expert's remainder one after another), which the whole-expert strategies cannot express.
// Run through the real engine it must conserve tokens, count each token once on one device, and
// give the same results on every rank layout.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <tuple>

#include "common/mpi_rows.hpp"
#include "common/test_paths.hpp"
#include "engine/simulator.hpp"
#include "engine/system.hpp"
#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

class TokenSplitScheduler final : public ExpertScheduler {
 public:
  TokenSplitScheduler() : ExpertScheduler(false, true) {}

  ExpertSplit split(const SchedulerInput& in) override {
    // Every expert in both lists: the strategy below decides what each device does with it.
    ExpertSplit s;
    for (std::size_t i = 0; i < in.experts.size(); ++i) {
      s.gpu.push_back(static_cast<std::int32_t>(i));
      s.pim.push_back(static_cast<std::int32_t>(i));
    }
    return s;
  }

  sim_time_t execute(const Execution& e, NodeDevices& devices) override {
    std::vector<std::int32_t> gpu_tokens;
    sim_time_t ready = e.barrier_ps;
    std::int64_t on_gpu = 0, on_pim = 0, pim_experts = 0;
    for (const auto& l : e.in.experts) {
      gpu_tokens.push_back((l.tokens + 1) / 2);
      on_gpu += gpu_tokens.back();
      ready = std::max(ready, l.ready_ps);
    }
    const sim_time_t gpu_end = devices.gpu_kernel(
        ready, e.in.gpu.grouped_gemm_ps(gpu_tokens, e.in.shape, e.in.activation_dtype));
    sim_time_t t = std::max(devices.pim_ready(), e.pim_barrier_ps), busy = 0;
    for (std::size_t i = 0; i < e.in.experts.size(); ++i) {
      const auto rest = e.in.experts[i].tokens - gpu_tokens[i];
      e.done[i] = gpu_end;
      if (rest == 0) continue;
      const sim_time_t start = std::max(t, e.in.experts[i].ready_ps);
      const sim_time_t dur = e.in.pim.expert_ps(e.in.shape, rest, 0, start);
      t = devices.pim_work(start, dur);
      busy += dur;
      on_pim += rest;
      ++pim_experts;
      e.done[i] = std::max(gpu_end, t);
    }
    devices.pim_finished(t, busy);
    devices.count(false, static_cast<std::int64_t>(e.in.experts.size()), on_gpu);
    devices.count(true, pim_experts, on_pim);
    return std::max(gpu_end, t);
  }
};

}  // namespace

SIEVESIM_REGISTER(SchedulerRegistry, "test-token-split",
                  "test only: half of every expert's tokens on the GPU, the rest on the PIM",
                  [](const Params&) { return std::make_unique<TokenSplitScheduler>(); })

namespace {

std::vector<LayerRow> run_layers(const std::vector<std::string>& overrides, bool spread) {
  auto sys = System::assemble(test::quickstart(), overrides);
  const std::int64_t nodes = sys->cfg.nodes, ranks = spread ? test::world_size() : 1;
  Simulator sim(*sys, RankMap(nodes, static_cast<int>(ranks), nodes / ranks),
                spread ? MPI_COMM_WORLD : MPI_COMM_SELF);
  const RankResults res = sim.run();
  EXPECT_EQ(res.summary.records_dispatched, res.summary.records_combined);
  auto key = [](const LayerRow& r) { return std::tie(r.node, r.iteration, r.layer); };
  if (spread) return test::gather_all(res.layers, key);
  auto rows = res.layers;
  std::sort(rows.begin(), rows.end(),
            [&](const auto& a, const auto& b) { return key(a) < key(b); });
  return rows;
}

TEST(CustomScheduler, TokenSplitRunsThroughTheEngineUnchanged) {
  const std::vector<std::string> o = {"scheduler.name=test-token-split",
                                      "workload.max_iterations=2"};
  const auto rows = run_layers(o, true);
  ASSERT_FALSE(rows.empty());
  std::int64_t gpu = 0, pim = 0, in = 0, moe_rows = 0;
  for (const auto& r : rows) {
    if (r.tokens_in == 0) continue;
    ++moe_rows;
    // Every token processed once, on one device; every active expert has work on the GPU and
    // those with two or more tokens also on the PIM.
    EXPECT_EQ(r.tokens_gpu + r.tokens_pim, r.tokens_in);
    EXPECT_GE(r.tokens_gpu, r.tokens_pim);
    EXPECT_LE(r.experts_pim, r.experts_gpu);
    EXPECT_LE(r.dispatch_end_ps, r.experts_end_ps);
    EXPECT_LE(r.experts_end_ps, r.end_ps);
    gpu += r.tokens_gpu, pim += r.tokens_pim, in += r.tokens_in;
  }
  EXPECT_GT(moe_rows, 0);
  EXPECT_EQ(gpu + pim, in);
  EXPECT_GT(pim, 0);  // the quickstart's 64 tokens per node put several on popular experts

  // The same results with every node on this rank alone.
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    const auto alone = run_layers(o, false);
    ASSERT_EQ(alone.size(), rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(alone[i].end_ps, rows[i].end_ps) << i;
      EXPECT_EQ(alone[i].tokens_pim, rows[i].tokens_pim) << i;
    }
  }
}

}  // namespace
}  // namespace sievesim
