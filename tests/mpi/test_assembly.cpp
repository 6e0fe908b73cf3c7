// The assembly step builds every component of a run once: one scheduler per node of this rank,
// one of everything else; the run itself builds nothing, and a section of an implementation
// that is not selected is checked without building it.
#include <gtest/gtest.h>
#include <mpi.h>

#include "common/mpi_rows.hpp"
#include "common/test_paths.hpp"
#include "engine/simulator.hpp"
#include "engine/system.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/net/fabric_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "place/placement.hpp"
#include "place/replica_dispatch.hpp"
#include "sched/scheduler.hpp"
#include "workload/assignment.hpp"
#include "workload/requests.hpp"
#include "workload/routing.hpp"

namespace sievesim {
namespace {

void reset_all() {
  SchedulerRegistry::instance().reset_constructions();
  GpuRegistry::instance().reset_constructions();
  PimRegistry::instance().reset_constructions();
  FabricRegistry::instance().reset_constructions();
  RoutingRegistry::instance().reset_constructions();
  ArrivalRegistry::instance().reset_constructions();
  LengthRegistry::instance().reset_constructions();
  AssignmentRegistry::instance().reset_constructions();
  PlacementRegistry::instance().reset_constructions();
  ReplicaDispatchRegistry::instance().reset_constructions();
}

// (registry total, name) for everything the quickstart builds.
struct Counts {
  std::int64_t sieve, pimoe, gpu, pim, fabric, zipf, closed, fixed, round_robin, contiguous, eplb,
      even;
};
Counts counts() {
  return {SchedulerRegistry::instance().constructions("sieve"),
          SchedulerRegistry::instance().constructions("pimoe"),
          GpuRegistry::instance().constructions("kernels"),
          PimRegistry::instance().constructions("in-dram"),
          FabricRegistry::instance().constructions("alpha-beta"),
          RoutingRegistry::instance().constructions("zipf"),
          ArrivalRegistry::instance().constructions("closed"),
          LengthRegistry::instance().constructions("fixed"),
          AssignmentRegistry::instance().constructions("round-robin"),
          PlacementRegistry::instance().constructions("contiguous"),
          PlacementRegistry::instance().constructions("eplb"),
          ReplicaDispatchRegistry::instance().constructions("even")};
}

TEST(Assembly, EveryComponentIsBuiltOncePerRun) {
  reset_all();
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  // Sections of a scheduler and a placement that are not selected: checked, never built.
  Experiment settings = read_experiment(
      test::quickstart(), {"workload.max_iterations=2", "scheduler.pimoe.threshold_tokens=3",
                           "placement.eplb.redundant_experts=8"});
  const RankMap ranks(settings.nodes, test::world_size(), settings.nodes / test::world_size());
  auto sys = System::assemble(std::move(settings),
                              NodeRange{ranks.first_node(rank), ranks.nodes_per_rank()});
  auto check = [&](const char* when) {
    const Counts c = counts();
    EXPECT_EQ(c.sieve, ranks.nodes_per_rank()) << when;  // one per node of this rank
    EXPECT_EQ(c.pimoe, 0) << when;
    EXPECT_EQ(c.gpu, 1) << when;     // b200: the kernel-level model
    EXPECT_EQ(c.pim, 1) << when;     // hbm3e-bank-pim: the in-DRAM command model
    EXPECT_EQ(c.fabric, 2) << when;  // nvlink5 and ib-ndr
    EXPECT_EQ(c.zipf, 1) << when;
    EXPECT_EQ(c.closed, 1) << when;
    EXPECT_EQ(c.fixed, 2) << when;  // prompt and output lengths
    EXPECT_EQ(c.round_robin, 1) << when;
    EXPECT_EQ(c.contiguous, 1) << when;
    EXPECT_EQ(c.eplb, 0) << when;
    EXPECT_EQ(c.even, 1) << when;
  };
  check("after assembling");
  Simulator sim(*sys, ranks, MPI_COMM_WORLD);
  const RankResults res = sim.run();
  EXPECT_EQ(res.summary.iterations, 2);
  check("after the run");
}

}  // namespace
}  // namespace sievesim
