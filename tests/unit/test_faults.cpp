// Faults: the slowed device models a straggler runs on, the per-iteration slowdown draws, and the
// recovery re-placement of the experts a failed node held.
#include <gtest/gtest.h>

#include <set>

#include "common/test_paths.hpp"
#include "engine/faults.hpp"
#include "engine/system.hpp"
#include "hw/slowed_models.hpp"

namespace sievesim {
namespace {

std::unique_ptr<System> quickstart(std::vector<std::string> more = {}) {
  return System::assemble(test::quickstart(), more);
}

TEST(SlowedModels, PimWorkScalesAndRefreshStaysOnItsClock) {
  const auto sys = quickstart();
  SlowedPimModel slow(*sys->pim);
  const ExpertShape& e = sys->model.expert;
  const sim_time_t start = 123456789;
  EXPECT_EQ(slow.expert_ps(e, 7, 0, start), sys->pim->expert_ps(e, 7, 0, start));  // factor 1
  slow.set_factor(2.0);
  const PimCost fast = sys->pim->gemv(e.hidden, e.intermediate, 5, e.weight_dtype, 0, start);
  const PimCost s = slow.gemv(e.hidden, e.intermediate, 5, e.weight_dtype, 0, start);
  EXPECT_EQ(s.busy_ps, 2 * fast.busy_ps);
  EXPECT_EQ(s.commands.mac, fast.commands.mac);  // the same commands, issued slower
  // The refreshes are those the stretched interval meets, at the DRAM's fixed times.
  EXPECT_EQ(s.time_ps, sys->pim->refresh_end_ps(start, s.busy_ps) - start);
  EXPECT_GE(s.time_ps, 2 * fast.time_ps - fast.refresh_ps - 1);
  EXPECT_DOUBLE_EQ(slow.peak_flops(), sys->pim->peak_flops() / 2.0);
  EXPECT_EQ(slow.contention(), sys->pim->contention());
}

TEST(SlowedModels, GpuKernelsScale) {
  const auto sys = quickstart();
  SlowedGpuModel slow(*sys->gpu);
  const std::vector<std::int32_t> tokens = {3, 40, 1};
  const sim_time_t base = sys->gpu->grouped_gemm_ps(tokens, sys->model.expert, DType::kBF16);
  EXPECT_EQ(slow.grouped_gemm_ps(tokens, sys->model.expert, DType::kBF16), base);
  slow.set_factor(1.5);
  EXPECT_EQ(slow.grouped_gemm_ps(tokens, sys->model.expert, DType::kBF16), slowed_ps(base, 1.5));
  EXPECT_EQ(slow.kernel_ps(1e9, 1e6, DType::kBF16),
            slowed_ps(sys->gpu->kernel_ps(1e9, 1e6, DType::kBF16), 1.5));
}

TEST(FaultInjector, JitterIsMeanOneAndKeyedByNodeAndIteration) {
  const auto sys = quickstart(
      {"faults.straggler_nodes=[2]", "faults.gpu_slowdown=[1.5]", "faults.gpu_jitter_sigma=0.3"});
  const FaultInjector f(*sys);
  double sum = 0;
  const int n = 4000;
  for (int it = 0; it < n; ++it) sum += f.gpu_factor(2, it);
  EXPECT_NEAR(sum / n, 1.5, 1.5 * 0.03);
  EXPECT_EQ(f.gpu_factor(2, 17), FaultInjector(*sys).gpu_factor(2, 17));
  EXPECT_NE(f.gpu_factor(2, 17), f.gpu_factor(2, 18));
  EXPECT_NE(f.gpu_factor(1, 17) * 1.5, f.gpu_factor(2, 17));
  EXPECT_EQ(f.pim_factor(2, 17), 1.0);  // no PIM jitter asked for
}

TEST(FaultInjector, EventsFireOnceInNodeOrder) {
  const auto sys = quickstart({"faults.fail_nodes=[3,1]", "faults.fail_at_iteration=[4,-1]",
                               "faults.fail_at_s=[-1,0.5]", "faults.rejoin_at_iteration=[9,-1]"});
  FaultInjector f(*sys);
  EXPECT_TRUE(f.due(3, 0).empty());
  const auto e = f.due(4, 600'000'000'000);  // iteration 4, 0.6 s: both fail
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].node, 1);
  EXPECT_EQ(e[1].node, 3);
  EXPECT_FALSE(e[0].rejoin || e[1].rejoin);
  EXPECT_TRUE(f.down(1) && f.down(3) && !f.down(0));
  EXPECT_TRUE(f.due(5, 700'000'000'000).empty());
  const auto r = f.due(9, 800'000'000'000);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].rejoin && r[0].node == 3);
  EXPECT_FALSE(f.down(3));
  EXPECT_TRUE(f.down(1));
}

// Copies per node over the MoE layers.
std::vector<std::int64_t> copies(const System& sys, const ExpertMap& m) {
  std::vector<std::int64_t> c;
  for (std::int32_t n = 0; n < sys.cfg.nodes; ++n) c.push_back(expert_copies(m, sys.model, n));
  return c;
}

TEST(FaultInjector, RecoveryPlacesLostExpertsWithinSpareHbm) {
  const auto sys = quickstart({"faults.fail_nodes=[1]", "faults.fail_at_iteration=[0]"});
  FaultInjector f(*sys);
  ASSERT_EQ(f.due(0, 0).size(), 1u);
  const double eb = sys->model.expert.weight_bytes();
  const ExpertMap& home = sys->expert_map;
  const auto before = copies(*sys, home);
  const std::int64_t lost = before[1];
  ASSERT_GT(lost, 0);

  // Room for everything: every expert has a copy again, none on the failed node, and the lost
  // ones spread evenly (contiguous EP: a third each, within one copy).
  std::vector<double> plenty(4, 1e15);
  std::int64_t unplaced = -1;
  const ExpertMap all = f.place(home, home, plenty, unplaced);
  EXPECT_EQ(unplaced, 0);
  all.check();
  const auto after = copies(*sys, all);
  EXPECT_EQ(after[1], 0);
  std::int64_t added = 0;
  for (int n : {0, 2, 3}) {
    EXPECT_NEAR(static_cast<double>(after[n] - before[n]), lost / 3.0, 1.0 + lost * 0.01);
    added += after[n] - before[n];
  }
  EXPECT_EQ(added, lost);

  // Tight HBM: node n may take room[n] copies; what does not fit stays without a copy.
  const std::vector<std::int64_t> room = {5, 0, 12, 0};
  std::vector<double> spare;
  for (auto r : room) spare.push_back(static_cast<double>(r) * eb + eb / 2);
  const ExpertMap tight = f.place(home, home, spare, unplaced);
  const auto t = copies(*sys, tight);
  for (int n : {0, 2, 3}) EXPECT_LE(t[n] - before[n], room[n]) << "node " << n;
  EXPECT_EQ(t[0] - before[0] + t[2] - before[2], 17);
  EXPECT_EQ(unplaced, lost - 17);

  // A later recovery keeps the copies an earlier one made (no weight moves for them).
  const ExpertMap again = f.place(home, tight, plenty, unplaced);
  EXPECT_EQ(unplaced, 0);
  for (std::int64_t l = 0; l < home.layers(); ++l)
    for (std::int32_t e = 0; e < home.experts(); ++e)
      for (auto n : tight.replicas(l, e)) EXPECT_TRUE(again.holds(l, e, n));
}

}  // namespace
}  // namespace sievesim
