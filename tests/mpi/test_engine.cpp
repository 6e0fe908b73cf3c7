// The engine under MPI: token conservation, time invariants, and results identical whether the
// nodes are spread over all ranks or all hosted by one rank.
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

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// All ranks' layer rows on every rank, sorted by (node, iteration, layer).
std::vector<LayerRow> gather_rows(const std::vector<LayerRow>& mine) {
  return test::gather_all(mine,
                          [](const LayerRow& r) { return std::tie(r.node, r.iteration, r.layer); });
}

struct Case {
  const char* name;
  std::vector<std::string> overrides;
};

class EngineUnderMpi : public ::testing::TestWithParam<Case> {};

TEST_P(EngineUnderMpi, ConservesTokensKeepsTimeAndIgnoresTheRankLayout) {
  const Case& c = GetParam();
  auto x_sys = System::assemble(test::quickstart(), c.overrides);
  System& x = *x_sys;
  ASSERT_EQ(x.cfg.nodes % world_size(), 0) << "test cases use 4 or 8 nodes";

  // Spread over all ranks.
  const RankMap spread(x.cfg.nodes, world_size(), x.cfg.nodes / world_size());
  Simulator sim(x, spread, MPI_COMM_WORLD);
  const RankResults res = sim.run();
  const auto rows = gather_rows(res.layers);

  // Conservation: every (token, expert) pair went out and came back exactly once (the engine
  // also checks the pairs of every layer by count and fingerprint and would have thrown).
  const auto moe_layers = x.model.num_moe_layers();
  // Decode mode, everyone admitted at once: every request is in every iteration.
  const std::int64_t iterations = res.summary.iterations;
  const std::int64_t pairs = x.total_requests * x.model.top_k * moe_layers * iterations;
  EXPECT_EQ(res.summary.records_dispatched, pairs);
  EXPECT_EQ(res.summary.records_combined, pairs);
  EXPECT_EQ(res.summary.output_tokens, x.total_requests * iterations);
  EXPECT_EQ(res.summary.requests_finished, x.total_requests);
  std::int64_t in = 0, out = 0;
  for (const auto& r : rows) in += r.tokens_in, out += r.tokens_out;
  EXPECT_EQ(in, pairs);
  EXPECT_EQ(out, pairs);

  // Time: per node, layers follow each other and milestones are ordered.
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(x.cfg.nodes * iterations * x.model.num_layers));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    EXPECT_LE(r.start_ps, r.attention_end_ps);
    EXPECT_LE(r.attention_end_ps, r.dispatch_end_ps);
    EXPECT_LE(r.attention_end_ps, r.end_ps);
    EXPECT_LT(r.start_ps, r.end_ps);
    EXPECT_EQ(r.tokens_gpu + r.tokens_pim, r.tokens_in);
    if (i > 0 && rows[i - 1].node == r.node) {
      if (rows[i - 1].iteration == r.iteration) {
        EXPECT_EQ(r.start_ps, rows[i - 1].end_ps);
      } else {
        EXPECT_GT(r.start_ps, rows[i - 1].end_ps);  // the LM head sits between iterations
      }
    }
  }

  // The same experiment with every node on one rank gives identical rows and summary.
  if (world_rank() == 0) {
    const RankMap alone(x.cfg.nodes, 1, x.cfg.nodes);
    // A system serves one run: the same experiment assembled again.
    auto again = System::assemble(x.cfg.file, x.cfg.overrides);
    Simulator solo(*again, alone, MPI_COMM_SELF);
    const RankResults ref = solo.run();
    ASSERT_EQ(ref.layers.size(), rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
      ASSERT_EQ(test::layer_values(ref.layers[i]), test::layer_values(rows[i])) << "row " << i;
    EXPECT_EQ(ref.summary.makespan_ps, res.summary.makespan_ps);
    EXPECT_EQ(ref.summary.mean_iteration_ps, res.summary.mean_iteration_ps);
    EXPECT_EQ(ref.summary.tpot.p99, res.summary.tpot.p99);
    EXPECT_EQ(ref.summary.ttft.mean, res.summary.ttft.mean);
    EXPECT_GT(res.summary.e2e.p50, 0);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

std::string model(const char* file) {
  return "model.config=" + test::source_dir() + "/models/" + file;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, EngineUnderMpi,
    ::testing::Values(
        Case{"quickstart", {"workload.requests.output=2"}},
        Case{"random_replicas_allexp_two_servers",
             {"workload.requests.output=2", "system.nodes=8", "system.gpus_per_server=4",
              "placement.policy=random", "placement.random.max_replicas=3",
              "workload.routing.source=uniform", "scheduler.name=allexp", "workload.seed=7"}},
        Case{
            "skewed_gpu_only_random_placement",
            {"workload.requests.output=2", "scheduler.name=gpu-only", "workload.routing.zipf.s=1.5",
             "placement.policy=random", "workload.requests.closed.concurrency=68"}},
        Case{"sieve_without_overlap_on_gpu_attention",
             {"workload.requests.output=2", "scheduler.overlap=false", "scheduler.attention=gpu",
              "system.gpus_per_server=2"}},
        Case{"deepseek_v3_dense_layers_mla_shared_expert",
             {model("deepseek-v3.json"), "system.nodes=8", "system.gpus_per_server=8",
              "workload.requests.closed.concurrency=64", "workload.requests.prompt=512",
              "workload.requests.output=1"}},
        Case{"pimoe_channel_groups", {"workload.requests.output=2", "scheduler.name=pimoe"}},
        Case{"oracle_bound", {"workload.requests.output=1", "scheduler.name=oracle"}},
        Case{"eplb_replicas",
             {"workload.requests.output=2", "placement.policy=eplb",
              "placement.eplb.redundant_experts=16", "workload.routing.zipf.s=1.2"}},
        Case{"duplex_noexp_like",
             {"workload.requests.output=2", "scheduler.name=duplex",
              "system.pim.preset=hbm3e-logic-pim"}},
        Case{"gpt_oss_sliding_window_mxfp4",
             {model("gpt-oss-120b.json"), "workload.requests.closed.concurrency=64",
              "workload.requests.output=1"}},
        Case{"qwen35_linear_attention_shared_expert",
             {model("qwen3.5-397b-a17b.json"), "system.nodes=8", "system.gpus_per_server=8",
              "workload.requests.closed.concurrency=64", "workload.requests.output=1"}}),
    [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST(IterationReduction, GlobalRowsSpanAllNodes) {
  auto x_sys = System::assemble(test::quickstart(), {"workload.requests.output=3"});
  System& x = *x_sys;
  const RankMap spread(x.cfg.nodes, world_size(), x.cfg.nodes / world_size());
  Simulator sim(x, spread, MPI_COMM_WORLD);
  const RankResults res = sim.run();
  const auto its = reduce_iterations(res.iterations, 3, MPI_COMM_WORLD);
  ASSERT_EQ(its.size(), 3u);
  for (std::size_t i = 0; i < its.size(); ++i) {
    EXPECT_EQ(its[i].decode_tokens, x.total_requests);
    EXPECT_LT(its[i].start_ps, its[i].end_ps);
    if (i > 0) {
      EXPECT_LT(its[i - 1].end_ps, its[i].end_ps);
    }
  }
  EXPECT_EQ(its.back().end_ps, res.summary.makespan_ps);
}

}  // namespace
}  // namespace sievesim

namespace sievesim {
namespace {

struct ModeRun {
  sim_time_t makespan;
  std::int64_t bytes_sent;
};

ModeRun run_with(std::vector<std::string> overrides) {
  overrides.push_back("workload.requests.output=2");
  auto x_sys = System::assemble(test::quickstart(), overrides);
  System& x = *x_sys;
  const RankMap spread(x.cfg.nodes, world_size(), x.cfg.nodes / world_size());
  Simulator sim(x, spread, MPI_COMM_WORLD);
  const RankResults res = sim.run();
  std::int64_t bytes = 0;
  for (const auto& r : gather_rows(res.layers)) bytes += r.bytes_sent;
  return {res.summary.makespan_ps, bytes};
}

TEST(EngineModes, SharingTheDramCostsTimeExclusiveMost) {
  const auto independent = run_with({"system.pim.contention=independent"});
  const auto shared = run_with({"system.pim.contention=shared"});
  const auto exclusive = run_with({"system.pim.contention=exclusive"});
  EXPECT_LE(independent.makespan, shared.makespan);
  EXPECT_LT(independent.makespan, exclusive.makespan);
  EXPECT_EQ(independent.bytes_sent, exclusive.bytes_sent);  // the network does not care
}

TEST(EngineModes, OverlapNeverMakesTheRunSlower) {
  for (const char* sched : {"sieve", "allexp", "duplex", "pimoe", "gpu-only"}) {
    const std::string name = std::string("scheduler.name=") + sched;
    const auto on = run_with({name, "scheduler.overlap=on"});
    const auto off = run_with({name, "scheduler.overlap=off"});
    EXPECT_LE(on.makespan, off.makespan) << sched;
  }
}

TEST(EngineModes, PerExpertDispatchMovesMoreBytes) {
  const auto dedup = run_with({"system.dispatch=per-destination"});
  const auto per_expert = run_with({"system.dispatch=per-expert"});
  EXPECT_GT(per_expert.bytes_sent, dedup.bytes_sent);
  EXPECT_GE(per_expert.makespan, dedup.makespan);
}

}  // namespace
}  // namespace sievesim

namespace sievesim {
namespace {

// Time of the last iteration (the PIM cost table has learned by then), and the makespan.
struct Timing {
  sim_time_t last_iteration, makespan;
};

Timing timing(std::vector<std::string> overrides) {
  auto x_sys = System::assemble(test::quickstart(), overrides);
  System& x = *x_sys;
  const RankMap spread(x.cfg.nodes, world_size(), x.cfg.nodes / world_size());
  Simulator sim(x, spread, MPI_COMM_WORLD);
  const RankResults res = sim.run();
  const auto& its = res.totals;
  const auto n = its.size();
  return {n > 1 ? its[n - 1].end_ps - its[n - 2].end_ps : its[0].end_ps, res.summary.makespan_ps};
}

// Compares splitting policies alone: same overlap, and Sieve's decision taken as free.
std::vector<std::string> policy(const char* name, std::vector<std::string> more) {
  more.push_back(std::string("scheduler.name=") + name);
  more.push_back("scheduler.overlap=on");
  more.push_back("scheduler.sieve.decision_us=0");
  return more;
}

TEST(SchedulerBehaviour, WithOneOrTwoTokensPerExpertSieveMatchesAllExp) {
  const std::vector<std::string> tiny = {"workload.requests.closed.concurrency=8",
                                         "workload.requests.output=3"};
  const auto all = timing(policy("allexp", tiny));
  const auto sieve = timing(policy("sieve", tiny));
  EXPECT_NEAR(static_cast<double>(sieve.makespan) / static_cast<double>(all.makespan), 1.0, 0.08);
}

TEST(SchedulerBehaviour, WithManyTokensPerExpertSieveMatchesNoExp) {
  const std::vector<std::string> big = {
      "workload.requests.closed.concurrency=2048", "workload.requests.prompt=256",
      "workload.routing.source=uniform", "workload.requests.output=6"};
  const auto noexp = timing(policy("noexp", big));
  const auto sieve = timing(policy("sieve", big));
  EXPECT_NEAR(static_cast<double>(sieve.last_iteration) / static_cast<double>(noexp.last_iteration),
              1.0, 0.05);
}

TEST(SchedulerBehaviour, PimoeLeavesChannelsIdleWhenFewExpertsAreActive) {
  // Eight requests on four GPUs: about 16 active experts per GPU against 128 channels. One
  // expert per channel (PIMoE) keeps only those channels busy; striping (AllExp) uses them all.
  const std::vector<std::string> small = {"workload.requests.closed.concurrency=8",
                                          "workload.requests.output=3"};
  auto run = [&](std::vector<std::string> o) {
    o.insert(o.end(), small.begin(), small.end());
    return static_cast<double>(timing(o).makespan);
  };
  const double pimoe =
      run({"scheduler.name=pimoe", "scheduler.pimoe.threshold_tokens=1000"});  // all on PIM
  const double allexp = run({"scheduler.name=allexp"});
  EXPECT_GT(pimoe / allexp, 1.5);
}

TEST(SchedulerBehaviour, SkewDoesNotSlowSieve) {
  auto run = [](const char* s) {
    return timing({"scheduler.name=sieve", std::string("workload.routing.zipf.s=") + s,
                   "workload.requests.output=3"})
        .makespan;
  };
  EXPECT_LT(static_cast<double>(run("1.2")) / static_cast<double>(run("0")), 1.02);
}

}  // namespace
}  // namespace sievesim

namespace sievesim {
namespace {

TEST(SieveDecision, OnASideStreamItOverlapsTheDispatchAndTheSharedExperts) {
  // One GPU running Qwen3.5-35B-A3B, which has a shared expert: no all-to-all call hides the
  // decision, and on the compute stream the shared expert waits behind it. (On several GPUs the
  // calls' fixed cost, tens of microseconds, hides it in both modes.)
  const std::vector<std::string> base = {
      "scheduler.name=sieve",
      "model.config=" + test::shared_dir() +
          "/model_configs/hf_reference/qwen3.5-35B-A3B_config.json",
      "system.nodes=1",
      "system.gpus_per_server=1",
      "workload.requests.output=3",
      "workload.requests.closed.concurrency=16"};
  auto with = [&](const char* extra) {
    auto o = base;
    o.push_back(extra);
    // One node: every rank runs it alone.
    auto x_sys = System::assemble(test::quickstart(), o);
    System& x = *x_sys;
    Simulator sim(x, RankMap(x.cfg.nodes, 1, x.cfg.nodes), MPI_COMM_SELF);
    return sim.run().summary.makespan_ps;
  };
  const sim_time_t side = with("scheduler.sieve.decision_stream=side");
  const sim_time_t blocking = with("scheduler.sieve.decision_stream=blocking");
  const sim_time_t free_decision = with("scheduler.sieve.decision_us=0");
  EXPECT_LT(side, blocking);  // the GPU no longer waits for the decision before shared experts
  EXPECT_LE(free_decision, side);
}

}  // namespace
}  // namespace sievesim
