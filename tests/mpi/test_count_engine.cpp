// The count engine (system.engine: counts) under MPI: every scheduler and placement policy runs,
// every (token, expert) pair a node dispatches comes back (the combine checks counts and
// fingerprints per layer and would throw), and the results are identical whether the nodes are
// spread over all ranks or all hosted by one rank.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <tuple>

#include "common/mpi_rows.hpp"
#include "common/test_paths.hpp"
#include "engine/simulator.hpp"
#include "engine/system.hpp"

namespace sievesim {
namespace {

struct CountCase {
  const char* name;
  std::vector<std::string> overrides;
};

class CountEngine : public ::testing::TestWithParam<CountCase> {};

TEST_P(CountEngine, ConservesPairsAndIgnoresTheRankLayout) {
  std::vector<std::string> overrides = GetParam().overrides;
  overrides.push_back("system.engine=counts");
  auto x_sys = System::assemble(test::quickstart(), overrides);
  System& x = *x_sys;
  const int size = test::world_size();
  ASSERT_EQ(x.cfg.nodes % size, 0);
  Simulator sim(x, RankMap(x.cfg.nodes, size, x.cfg.nodes / size), MPI_COMM_WORLD);
  const RankResults res = sim.run();
  const auto rows = test::gather_all(res.layers, [](const LayerRow& r) {
    return std::tie(r.node, r.iteration, r.micro_batch, r.layer);
  });

  EXPECT_GT(res.summary.records_dispatched, 0);
  EXPECT_EQ(res.summary.records_combined, res.summary.records_dispatched);
  EXPECT_EQ(res.summary.requests_finished, x.total_requests);
  std::int64_t in = 0, out = 0, tokens_moe = 0;
  for (const auto& r : rows) {
    in += r.tokens_in;
    out += r.tokens_out;
    EXPECT_EQ(r.tokens_gpu + r.tokens_pim, r.tokens_in);
    EXPECT_LE(r.start_ps, r.attention_end_ps);
    EXPECT_LE(r.attention_end_ps, r.end_ps);
  }
  EXPECT_EQ(in, res.summary.records_dispatched);
  EXPECT_EQ(out, res.summary.records_dispatched);
  // Each token picks k experts per MoE layer: the drawn counts are corrected to that total.
  for (const auto& it : res.totals)
    tokens_moe += (it.decode_tokens + it.prefill_tokens) * x.model.num_moe_layers();
  EXPECT_EQ(res.summary.records_dispatched, tokens_moe * x.model.top_k);

  // The same experiment with every node on rank 0 alone: identical rows, summary and loads.
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    const RankResults ref = test::run_alone(x);
    auto solo_rows = ref.layers;
    std::sort(solo_rows.begin(), solo_rows.end(), [](const LayerRow& a, const LayerRow& b) {
      return std::tie(a.node, a.iteration, a.micro_batch, a.layer) <
             std::tie(b.node, b.iteration, b.micro_batch, b.layer);
    });
    ASSERT_EQ(solo_rows.size(), rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
      ASSERT_EQ(test::layer_values(solo_rows[i]), test::layer_values(rows[i])) << "row " << i;
    EXPECT_EQ(ref.summary.records_dispatched, res.summary.records_dispatched);
    EXPECT_EQ(ref.summary.makespan_ps, res.summary.makespan_ps);
    EXPECT_EQ(ref.summary.tpot.p99, res.summary.tpot.p99);
    ASSERT_EQ(ref.expert_load.size(), res.expert_load.size());
    for (std::size_t i = 0; i < ref.expert_load.size(); ++i)
      EXPECT_EQ(ref.expert_load[i].tokens, res.expert_load[i].tokens) << "load row " << i;
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

std::string model(const char* file) {
  return "model.config=" + test::source_dir() + "/models/" + file;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CountEngine,
    ::testing::Values(
        CountCase{"sieve_locality",
                  {"workload.requests.output=3", "workload.routing.zipf.locality=0.3"}},
        CountCase{"every_other_scheduler", {"workload.requests.output=2", "scheduler.name=pimoe"}},
        CountCase{"gpu_only_random_replicas",
                  {"workload.requests.output=2", "system.nodes=8", "system.gpus_per_server=4",
                   "placement.policy=random", "placement.random.max_replicas=3",
                   "workload.routing.source=uniform", "scheduler.name=gpu-only"}},
        CountCase{"eplb_replicas_duplex",
                  {"workload.requests.output=2", "placement.policy=eplb",
                   "placement.eplb.redundant_experts=16", "scheduler.name=duplex"}},
        CountCase{
            "sieve_placement_rebalancing_drift",
            {"workload.requests.output=6", "placement.policy=sieve", "placement.rebalance_every=2",
             "workload.routing.zipf.drift_period_tokens=4", "workload.routing.zipf.locality=0.2"}},
        CountCase{"micro_batches_oracle",
                  {"workload.requests.output=2", "system.micro_batches=2",
                   "workload.requests.closed.concurrency=32", "scheduler.name=oracle"}},
        CountCase{
            "serve_prefill_hotcold_allexp",
            {"workload.mode=serve", "workload.requests.prompt=96", "workload.requests.output=3",
             "workload.routing.source=hotcold", "workload.routing.hotcold.locality=0.5",
             "scheduler.name=allexp", "workload.batching.max_tokens=128"}},
        CountCase{"deepseek_v3_per_expert_noexp",
                  {model("deepseek-v3.json"), "system.nodes=8", "system.gpus_per_server=8",
                   "workload.requests.closed.concurrency=32", "workload.requests.prompt=512",
                   "workload.requests.output=1", "system.dispatch=per-expert",
                   "scheduler.name=noexp", "placement.policy=affinity"}}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace sievesim
