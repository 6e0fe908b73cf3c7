// Micro-batch pipelining (system.micro_batches: 2) under MPI: every (token, expert) pair of the
// one-micro-batch run is dispatched and combined once, each micro-batch keeps its requests'
// layer order on its own clock, the two overlap, and the results do not depend on the ranks.
#include <gtest/gtest.h>
#include <mpi.h>

#include <map>
#include <tuple>

#include "common/mpi_rows.hpp"
#include "common/test_paths.hpp"
#include "engine/simulator.hpp"
#include "engine/system.hpp"

namespace sievesim {
namespace {

struct MbRun {
  RankResults res;
  std::vector<LayerRow> rows;  // every rank's, by (node, iteration, micro-batch, layer)
  std::int64_t nodes = 0, layers = 0, top_k = 0;
};

MbRun run(std::vector<std::string> overrides, std::int64_t micro_batches, int ranks) {
  overrides.push_back("system.micro_batches=" + std::to_string(micro_batches));
  auto x_sys = System::assemble(test::quickstart(), overrides);
  System& x = *x_sys;
  const MPI_Comm comm = ranks == 1 ? MPI_COMM_SELF : MPI_COMM_WORLD;
  Simulator sim(x, RankMap(x.cfg.nodes, ranks, x.cfg.nodes / ranks), comm);
  MbRun r{sim.run(), {}, x.cfg.nodes, x.model.num_layers, x.model.top_k};
  auto key = [](const LayerRow& l) {
    return std::tie(l.node, l.iteration, l.micro_batch, l.layer);
  };
  if (ranks == 1) {
    r.rows = r.res.layers;
    std::sort(r.rows.begin(), r.rows.end(),
              [&](const LayerRow& a, const LayerRow& b) { return key(a) < key(b); });
  } else {
    r.rows = test::gather_all(r.res.layers, key);
  }
  return r;
}

struct Case {
  const char* name;
  std::vector<std::string> overrides;
};

class MicroBatches : public ::testing::TestWithParam<Case> {};

TEST_P(MicroBatches, ConserveTokensKeepLayerOrderOverlapAndIgnoreTheRankLayout) {
  const Case& c = GetParam();
  const MbRun one = run(c.overrides, 1, test::world_size());
  const MbRun two = run(c.overrides, 2, test::world_size());

  // Every pair the one-micro-batch run dispatched, and no other, went out and came back once:
  // the same count, the same load per (layer, expert), the same output tokens. (Each
  // micro-batch's combine also checks its pairs by count and fingerprint, and would throw.)
  EXPECT_EQ(two.res.summary.records_dispatched, one.res.summary.records_dispatched);
  EXPECT_EQ(two.res.summary.records_combined, one.res.summary.records_dispatched);
  EXPECT_EQ(two.res.summary.output_tokens, one.res.summary.output_tokens);
  EXPECT_EQ(two.res.summary.requests_finished, one.res.summary.requests_finished);
  ASSERT_EQ(two.res.expert_load.size(), one.res.expert_load.size());
  for (std::size_t i = 0; i < one.res.expert_load.size(); ++i)
    EXPECT_EQ(two.res.expert_load[i].tokens, one.res.expert_load[i].tokens) << "load row " << i;

  // Each (node, iteration, layer) of the one-micro-batch run is split over two rows whose
  // dispatched pairs add up to it.
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, std::int64_t> out;
  for (const auto& r : one.rows) out[{r.node, r.iteration, r.layer}] += r.tokens_out;
  for (const auto& r : two.rows) out[{r.node, r.iteration, r.layer}] -= r.tokens_out;
  for (const auto& [k, v] : out) EXPECT_EQ(v, 0) << "node " << std::get<0>(k);
  ASSERT_EQ(two.rows.size(), 2 * one.rows.size());

  // A micro-batch's layer l + 1 starts when its layer l ended (its own clock), and the other
  // micro-batch's does not hold it: somewhere micro-batch 1's layer starts before micro-batch
  // 0's same layer has ended.
  bool overlapped = false;
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, sim_time_t> end0;
  for (std::size_t i = 0; i < two.rows.size(); ++i) {
    const auto& r = two.rows[i];
    EXPECT_LE(r.start_ps, r.attention_end_ps);
    EXPECT_LE(r.attention_end_ps, r.end_ps);
    EXPECT_EQ(r.tokens_gpu + r.tokens_pim, r.tokens_in);
    const auto& p = two.rows[i > 0 ? i - 1 : 0];
    if (i > 0 && p.node == r.node && p.iteration == r.iteration && p.micro_batch == r.micro_batch) {
      EXPECT_EQ(r.layer, p.layer + 1);
      EXPECT_EQ(r.start_ps, p.end_ps) << "node " << r.node << " layer " << r.layer;
    }
    if (r.micro_batch == 0) end0[{r.node, r.iteration, r.layer}] = r.end_ps;
  }
  for (const auto& r : two.rows)
    if (r.micro_batch == 1 && r.tokens_out > 0 && r.start_ps < end0[{r.node, r.iteration, r.layer}])
      overlapped = true;
  EXPECT_TRUE(overlapped) << "micro-batch 1 always waited for micro-batch 0's layer";

  // The same on one rank hosting every node.
  if (test::world_size() > 1) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
      const MbRun solo = run(c.overrides, 2, 1);
      ASSERT_EQ(solo.rows.size(), two.rows.size());
      for (std::size_t i = 0; i < two.rows.size(); ++i)
        ASSERT_EQ(test::layer_values(solo.rows[i]), test::layer_values(two.rows[i])) << "row " << i;
      EXPECT_EQ(solo.res.summary.makespan_ps, two.res.summary.makespan_ps);
      EXPECT_EQ(solo.res.summary.tpot.p50, two.res.summary.tpot.p50);
      EXPECT_EQ(solo.res.summary.ttft.p99, two.res.summary.ttft.p99);
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
}

std::string model(const char* file) {
  return "model.config=" + test::source_dir() + "/models/" + file;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MicroBatches,
    ::testing::Values(Case{"quickstart_sieve", {"workload.requests.output=3"}},
                      // Odd batches per node: micro-batches of unequal size.
                      Case{"odd_batches_allexp_replicas",
                           {"workload.requests.output=2", "workload.requests.closed.concurrency=22",
                            "scheduler.name=allexp", "placement.policy=random",
                            "placement.random.max_replicas=2"}},
                      // Dense layers between MoE layers, a shared expert, MLA.
                      Case{"deepseek_v3_dense_layers",
                           {model("deepseek-v3.json"), "system.nodes=8", "system.gpus_per_server=8",
                            "workload.requests.closed.concurrency=64",
                            "workload.requests.prompt=512", "workload.requests.output=1"}},
                      Case{"gpt_oss_shared_dram",
                           {model("gpt-oss-120b.json"), "workload.requests.closed.concurrency=64",
                            "workload.requests.output=2", "system.pim.contention=shared"}}),
    [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

// Serving with chunked prefill: prompts and decode tokens in one batch, requests arriving and
// leaving. Each micro-batch pays its own kernel launches and weight streaming, so the work of
// a layer grows; every request still gets all its tokens.
TEST(MicroBatchesServing, EveryRequestFinishesAndTheWorkGrows) {
  const std::vector<std::string> serve = {
      "workload.mode=serve", "workload.requests.prompt=96", "workload.requests.output=4",
      "workload.requests.closed.concurrency=24", "workload.batching.max_tokens=512"};
  const MbRun one = run(serve, 1, test::world_size());
  const MbRun two = run(serve, 2, test::world_size());
  EXPECT_EQ(two.res.summary.requests_finished, one.res.summary.requests_finished);
  EXPECT_EQ(two.res.summary.records_dispatched, two.res.summary.records_combined);
  std::int64_t emitted_one = 0, emitted_two = 0;
  for (const auto& r : one.res.requests) emitted_one += r.output_tokens;
  for (const auto& r : two.res.requests) emitted_two += r.output_tokens;
  EXPECT_EQ(emitted_two, emitted_one);
  sim_time_t busy_one = 0, busy_two = 0;
  for (const auto& r : one.rows) busy_one += r.gpu_busy_ps + r.pim_busy_ps;
  for (const auto& r : two.rows) busy_two += r.gpu_busy_ps + r.pim_busy_ps;
  EXPECT_GT(busy_two, busy_one);
}

}  // namespace
}  // namespace sievesim
