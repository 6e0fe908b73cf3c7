// Energy in the engine (docs/energy.md): idle time costs static power only, every layer row's
// static energy is the board's idle power over its span, the summary's dynamic energy is the
// rows' integer sum, and all of it is identical whatever the rank layout.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <fstream>
#include <tuple>

#include "common/mpi_rows.hpp"
#include "common/test_paths.hpp"
#include "engine/simulator.hpp"
#include "engine/system.hpp"

namespace sievesim {
namespace {

int ranks() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

struct EnergyRun {
  Summary summary;
  std::vector<LayerRow> rows;  // every rank's, sorted by (node, iteration, layer)
  double idle_W = 0;
};

auto row_key(const LayerRow& x) {
  return std::tie(x.node, x.iteration, x.layer, x.micro_batch);
}

EnergyRun run(const std::vector<std::string>& overrides, int use_ranks) {
  auto sys = System::assemble(test::quickstart(), overrides);
  const std::int64_t nodes = sys->cfg.nodes;
  EnergyRun r;
  r.idle_W = sys->gpu->energy().idle_W();
  if (use_ranks == 1) {
    Simulator sim(*sys, RankMap(nodes, 1, nodes), MPI_COMM_SELF);
    const RankResults res = sim.run();
    r.summary = res.summary;
    r.rows = res.layers;
    std::sort(r.rows.begin(), r.rows.end(),
              [](const LayerRow& x, const LayerRow& y) { return row_key(x) < row_key(y); });
    return r;
  }
  Simulator sim(*sys, RankMap(nodes, use_ranks, nodes / use_ranks), MPI_COMM_WORLD);
  const RankResults res = sim.run();
  r.summary = res.summary;
  r.rows = test::gather_all(res.layers, row_key);
  return r;
}

// One request per node at time 0 and one more per node at `later_s`: the same work, separated by
// an idle gap.
std::vector<std::string> two_waves(double later_s) {
  const std::string path = testing::TempDir() + "energy_waves_" + std::to_string(later_s) + ".csv";
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    std::ofstream f(path);
    f << "arrival_s,prompt_tokens,output_tokens\n";
    for (int i = 0; i < 4; ++i) f << "0,256,2\n";
    for (int i = 0; i < 4; ++i) f << later_s << ",256,2\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return {"workload.requests.arrival=csv", "workload.requests.csv.path=" + path,
          "workload.batching.assignment=round-robin"};
}

TEST(EnergyEngine, IdleTimeCostsStaticPowerOnly) {
  const EnergyRun soon = run(two_waves(0.05), ranks());
  const EnergyRun late = run(two_waves(0.15), ranks());
  const Summary::Energy &a = soon.summary.energy, &b = late.summary.energy;
  ASSERT_EQ(soon.summary.output_tokens, late.summary.output_tokens);
  ASSERT_GT(late.summary.window_ps - soon.summary.window_ps, 90'000'000'000);  // ~0.1 s more
  // The same work costs the same dynamic energy, to the picojoule...
  EXPECT_EQ(a.gpu_compute_J, b.gpu_compute_J);
  EXPECT_EQ(a.gpu_hbm_J, b.gpu_hbm_J);
  EXPECT_EQ(a.pim_J, b.pim_J);
  EXPECT_EQ(a.link_J, b.link_J);
  EXPECT_GT(a.pim_J, 0);
  EXPECT_GT(a.link_J, 0);
  // ...and the longer wait only the nodes' idle power over it.
  const double extra_s = ps_to_s(late.summary.window_ps - soon.summary.window_ps);
  EXPECT_NEAR(b.total_J() - a.total_J(), soon.idle_W * 4 * extra_s, 1e-9 * b.total_J());
  EXPECT_LT(late.summary.output_tokens_per_joule(), soon.summary.output_tokens_per_joule());
}

TEST(EnergyEngine, RowsBookIdlePowerOverTheirSpanAndSumToTheSummary) {
  const EnergyRun r = run({"workload.requests.output=3"}, ranks());
  EnergyPj sum;
  for (const auto& row : r.rows) {
    EXPECT_EQ(row.static_pj, whole_pj(r.idle_W * static_cast<double>(row.end_ps - row.start_ps)));
    EXPECT_GT(row.energy.gpu_compute, 0);
    sum += row.energy;
  }
  // The summary adds the LM head and sampling once per iteration (no layer row of theirs).
  const Summary::Energy& e = r.summary.energy;
  EXPECT_EQ(e.pim_J, static_cast<double>(sum.pim) * 1e-12);
  EXPECT_EQ(e.link_J, static_cast<double>(sum.link) * 1e-12);
  EXPECT_GT(e.gpu_compute_J, static_cast<double>(sum.gpu_compute) * 1e-12);
  EXPECT_NEAR(e.static_J, r.idle_W * 4 * ps_to_s(r.summary.window_ps), 1e-9);
  EXPECT_GT(r.summary.power_per_gpu_W(), r.idle_W);
  EXPECT_GT(r.summary.power_per_pim_stack_W(), 0);
  EXPECT_GE(e.peak_node_W, r.summary.power_per_gpu_W());
}

TEST(EnergyEngine, IdenticalOnEveryRankLayout) {
  const std::vector<std::string> o = {"workload.requests.output=2", "system.micro_batches=2"};
  const EnergyRun spread = run(o, ranks());
  const EnergyRun alone = run(o, 1);
  const Summary::Energy &a = spread.summary.energy, &b = alone.summary.energy;
  EXPECT_EQ(a.gpu_compute_J, b.gpu_compute_J);
  EXPECT_EQ(a.gpu_hbm_J, b.gpu_hbm_J);
  EXPECT_EQ(a.pim_J, b.pim_J);
  EXPECT_EQ(a.link_J, b.link_J);
  EXPECT_EQ(a.static_J, b.static_J);
  EXPECT_EQ(a.peak_node_W, b.peak_node_W);
  ASSERT_EQ(spread.rows.size(), alone.rows.size());
  for (std::size_t i = 0; i < alone.rows.size(); ++i)
    ASSERT_EQ(test::layer_values(spread.rows[i]), test::layer_values(alone.rows[i])) << i;
}

}  // namespace
}  // namespace sievesim
