// The coordinator under MPI: periodic rebalancing from measured loads, migration in the
// simulated time, and the same placements whatever the rank layout.
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

std::vector<std::string> drifting_eplb(const char* migration) {
  return {"placement.policy=eplb",
          "placement.eplb.redundant_experts=16",
          "placement.rebalance_every=3",
          std::string("placement.migration=") + migration,
          "workload.routing.zipf={s: 1.1, drift_period_tokens: 4}",
          "workload.requests.output=10",
          "workload.requests.closed.concurrency=64"};
}

std::vector<std::int64_t> row_values(const PlacementRow& r) {
  std::vector<std::int64_t> v;
  for (const auto& c : placement_columns()) v.push_back(c.get(r));
  return v;
}

TEST(Coordinator, StallingRebalancesMoveWeightsAndMatchAnyRankLayout) {
  auto x_sys = System::assemble(test::quickstart(), drifting_eplb("stall"));
  System& x = *x_sys;
  Simulator sim(x, RankMap(x.cfg.nodes, test::world_size(), x.cfg.nodes / test::world_size()),
                MPI_COMM_WORLD);
  const RankResults res = sim.run();
  // Iterations 2, 5 and 8 end a window of 3: three rebalances after the initial placement.
  ASSERT_EQ(res.placements.size(), 4u);
  const auto& totals = res.totals;
  for (std::size_t i = 1; i < res.placements.size(); ++i) {
    const PlacementRow& p = res.placements[i];
    EXPECT_EQ(p.iteration, static_cast<std::int64_t>(3 * i - 1));
    EXPECT_GT(p.bytes_moved, 0);
    EXPECT_EQ(p.bytes_moved % static_cast<std::int64_t>(x.model.expert.weight_bytes()), 0);
    EXPECT_GT(p.migration_ps, 0);
    EXPECT_EQ(p.active_ps, p.decided_ps + p.migration_ps);
    // The next iteration starts only when the weights have arrived everywhere.
    EXPECT_GE(totals[static_cast<std::size_t>(p.iteration + 1)].start_ps, p.active_ps);
    // Every pair of the window was counted: 64 tokens x top-8 x 48 layers x 3 iterations.
    EXPECT_EQ(p.window_tokens, 64 * 8 * 48 * 3);
    // EPLB balances the window it was given.
    EXPECT_LE(p.imbalance_after_permille, p.imbalance_before_permille);
  }
  EXPECT_EQ(res.summary.records_dispatched, res.summary.records_combined);

  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    // A system serves one run: the same experiment assembled again.
    auto again = System::assemble(x.cfg.file, x.cfg.overrides);
    Simulator solo(*again, RankMap(x.cfg.nodes, 1, x.cfg.nodes), MPI_COMM_SELF);
    const RankResults ref = solo.run();
    ASSERT_EQ(ref.placements.size(), res.placements.size());
    for (std::size_t i = 0; i < res.placements.size(); ++i)
      EXPECT_EQ(row_values(ref.placements[i]), row_values(res.placements[i])) << i;
    EXPECT_EQ(ref.summary.makespan_ps, res.summary.makespan_ps);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(Coordinator, BackgroundMigrationNeverStallsAndStallingCostsTime) {
  auto run = [](const char* migration) {
    auto x_sys = System::assemble(test::quickstart(), drifting_eplb(migration));
    System& x = *x_sys;
    Simulator sim(x, RankMap(x.cfg.nodes, test::world_size(), x.cfg.nodes / test::world_size()),
                  MPI_COMM_WORLD);
    return sim.run();
  };
  const RankResults stall = run("stall"), background = run("background");
  sim_time_t stalled = 0;
  for (std::size_t i = 1; i < stall.placements.size(); ++i)
    stalled += stall.placements[i].migration_ps;
  // In the background the moves take 1 / 0.25 times longer on their bandwidth share, and the
  // new placement waits for them; nothing waits for the moves.
  for (std::size_t i = 1; i < background.placements.size(); ++i) {
    const auto& p = background.placements[i];
    EXPECT_EQ(p.active_ps, p.decided_ps + p.migration_ps);
    EXPECT_GT(p.migration_ps, 0);
  }
  EXPECT_GT(stall.summary.makespan_ps, stalled);
  EXPECT_LT(background.summary.makespan_ps, stall.summary.makespan_ps);
}

TEST(Coordinator, DenseLayersHoldNoExpertsToCountOrMove) {
  // DeepSeek-V3's first three layers are dense: they take no HBM slots and move no weights.
  auto x_sys = System::assemble(
      test::quickstart(),
      {"model.config=" + test::source_dir() + "/models/deepseek-v3.json", "system.nodes=8",
       "system.gpus_per_server=8", "placement.policy=eplb", "placement.eplb.redundant_experts=32",
       "placement.rebalance_every=2", "workload.requests.output=4",
       "workload.requests.closed.concurrency=64", "workload.requests.prompt=256"});
  System& x = *x_sys;
  EXPECT_EQ(x.expert_slots(0), 58 * (256 + 32) / 8);
  Simulator sim(x, RankMap(x.cfg.nodes, test::world_size(), x.cfg.nodes / test::world_size()),
                MPI_COMM_WORLD);
  const RankResults res = sim.run();
  ASSERT_EQ(res.placements.size(), 3u);
  const auto expert = static_cast<std::int64_t>(x.model.expert.weight_bytes());
  for (const auto& p : res.placements) {
    EXPECT_EQ(p.bytes_moved, p.replicas_added * expert);
    // At most every copy of the 58 MoE layers moves.
    EXPECT_LE(p.replicas_added, 58 * (256 + 32));
  }
}

TEST(Coordinator, StaticPoliciesNeverRebalance) {
  auto x_sys = System::assemble(test::quickstart(),
                                {"placement.rebalance_every=2", "workload.requests.output=5"});
  System& x = *x_sys;
  Simulator sim(x, RankMap(x.cfg.nodes, test::world_size(), x.cfg.nodes / test::world_size()),
                MPI_COMM_WORLD);
  const RankResults res = sim.run();
  ASSERT_EQ(res.placements.size(), 1u);  // the initial (contiguous) placement only
  EXPECT_EQ(res.placements[0].bytes_moved, 0);
}

// Replicated experts under each replica dispatch rule: every token reaches a holder of its expert
// (the engine checks it), tokens are conserved, rows match any rank layout; `nearest` keeps
// traffic inside the server and `least-loaded` evens the tokens the replicas receive.
TEST(ReplicaDispatch, RulesConserveTokensMatchAnyRankLayoutAndDoWhatTheySay) {
  struct Outcome {
    std::int64_t bytes_sent = 0, peak_tokens_in = 0;
  };
  std::map<std::string, Outcome> got;
  for (const std::string rule : {"even", "nearest", "least-loaded"}) {
    auto x_sys = System::assemble(
        test::quickstart(),
        {"system.gpus_per_server=2", "placement.policy=eplb", "placement.eplb.redundant_experts=64",
         "placement.replica_dispatch=" + rule, "workload.routing.zipf={s: 1.0}",
         "workload.requests.output=4", "workload.requests.closed.concurrency=128"});
    System& x = *x_sys;
    Simulator sim(x, RankMap(x.cfg.nodes, test::world_size(), x.cfg.nodes / test::world_size()),
                  MPI_COMM_WORLD);
    const RankResults res = sim.run();
    EXPECT_EQ(res.summary.records_dispatched, res.summary.records_combined) << rule;
    std::int64_t pairs = 0;
    for (const auto& e : res.expert_load) pairs += e.tokens;
    EXPECT_EQ(pairs, res.summary.records_dispatched) << rule;
    const auto rows = test::gather_all(
        res.layers, [](const LayerRow& r) { return std::tuple(r.node, r.iteration, r.layer); });
    // Per (iteration, layer), the busiest node's expert tokens; summed.
    std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> peak;
    Outcome& o = got[rule];
    for (const auto& r : rows) {
      o.bytes_sent += r.bytes_sent;
      auto& p = peak[{r.iteration, r.layer}];
      p = std::max(p, r.tokens_in);
    }
    for (const auto& [k, v] : peak) o.peak_tokens_in += v;

    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
      // A system serves one run: the same experiment assembled again.
      auto again = System::assemble(x.cfg.file, x.cfg.overrides);
      Simulator solo(*again, RankMap(x.cfg.nodes, 1, x.cfg.nodes), MPI_COMM_SELF);
      const RankResults ref = solo.run();
      ASSERT_EQ(ref.layers.size(), rows.size()) << rule;
      for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(ref.layers[i].end_ps, rows[i].end_ps) << rule << " row " << i;
        EXPECT_EQ(ref.layers[i].tokens_in, rows[i].tokens_in) << rule << " row " << i;
      }
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
  EXPECT_LT(got["nearest"].bytes_sent, got["even"].bytes_sent);
  EXPECT_LT(got["least-loaded"].peak_tokens_in, got["even"].peak_tokens_in);
}

}  // namespace
}  // namespace sievesim
