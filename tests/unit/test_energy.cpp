// The energy model (docs/energy.md): a PIM GEMV costs exactly the sum of its commands' prices,
// the prices are AttAcc's per-bit table applied to what each command touches, GPU kernels cost
// their FLOPs and HBM bytes, links their bytes, and moving an expert between the GPU and the PIM
// moves its energy between those components.
#include <gtest/gtest.h>

#include <vector>

#include "common/recording_devices.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/net/fabric_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "hw/preset.hpp"
#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

std::unique_ptr<PimModel> pim_preset(const std::string& name, const std::string& extra = "") {
  const Params p(YAML::Load("p: {preset: " + name + extra + "}"), "t.yaml");
  return make_pim_model(resolve_preset(p, "p", "pim", name));
}
std::unique_ptr<GpuModel> gpu_preset(const std::string& name) {
  const Params g(YAML::Load("g: {preset: " + name + "}"), "t.yaml");
  return make_gpu_model(resolve_preset(g, "g", "gpu", name));
}

// Each command's count times its price, every channel alike.
double priced(const PimModel& m, const PimCommands& c, std::int64_t channels) {
  const PimCommandEnergy& e = m.energy().per_command();
  return (static_cast<double>(c.activate) * e.activate_pj +
          static_cast<double>(c.precharge) * e.precharge_pj +
          static_cast<double>(c.mac) * e.mac_pj +
          static_cast<double>(c.mac_vectors) * e.mac_vector_pj +
          static_cast<double>(c.write_input) * e.write_input_pj +
          static_cast<double>(c.read_output) * e.read_output_pj) *
         static_cast<double>(channels);
}

TEST(EnergyPim, GemvEnergyIsTheSumOfItsCommandsForEveryKind) {
  for (const char* name : {"hbm3-bank-pim", "hbm3-bankgroup-pim", "hbm3-buffer-pim",
                           "hbm3-logic-pim", "hbm2-samsung-pim", "hbm3e-bank-pim"}) {
    const auto m = pim_preset(name);
    for (std::int32_t tokens : {1, 3}) {
      for (std::int64_t channels : {std::int64_t{0}, std::int64_t{4}}) {
        const PimCost c = m->gemv(2048, 768, tokens, DType::kFP16, channels, 12345);
        ASSERT_GT(c.commands.mac, 0) << name;
        EXPECT_GT(c.energy_pj, 0) << name;
        EXPECT_DOUBLE_EQ(c.energy_pj, priced(*m, c.commands, m->channels_used(channels)))
            << name << " tokens " << tokens << " channels " << channels;
      }
    }
  }
}

TEST(EnergyPim, CommandPricesAreAttAccsPerBitTableTimesWhatEachCommandTouches) {
  // Bank-level HBM3 PIM: an all-bank activation opens the 64 banks of a channel (1 KB rows);
  // an all-bank MAC reads 32 B from each and does 16 FP16 MACs each; buffer I/O crosses the
  // interposer, TSVs, global I/O and bank-group muxes (AttAcc src/config.py).
  const auto bank = pim_preset("hbm3-bank-pim");
  const PimCommandEnergy& e = bank->energy().per_command();
  EXPECT_DOUBLE_EQ(e.activate_pj, 64 * 1024 * 8 * 0.11);
  EXPECT_DOUBLE_EQ(e.mac_pj, 64 * 32 * 8 * 0.44);
  EXPECT_DOUBLE_EQ(e.mac_vector_pj, 64 * 16 * 0.32);
  EXPECT_DOUBLE_EQ(e.write_input_pj, 32 * 8 * 3.04 + 32 * 0.0034);
  // Bank-group PIM: a same-bank command touches one bank per bank group (16 per channel), and
  // its read crosses the bank-group mux as well.
  const PimCommandEnergy& g = pim_preset("hbm3-bankgroup-pim")->energy().per_command();
  EXPECT_DOUBLE_EQ(g.activate_pj, 16 * 1024 * 8 * 0.11);
  EXPECT_DOUBLE_EQ(g.mac_pj, 16 * 32 * 8 * 1.45);
  // Refresh: 8192 all-bank refreshes open every row of a channel (1 GB = 8 Gb) once.
  EXPECT_DOUBLE_EQ(e.refresh_pj, 16e9 / 16 * 8 * 0.11 / 8192);
  EXPECT_NEAR(bank->energy().refresh_W_per_stack(), e.refresh_pj * 16 / 3.9e6, 1e-3);
}

TEST(EnergyPim, WeightsReadFartherFromTheCellsCostMore) {
  // Per weight byte of one token's GEMV, a unit at the bank moves the data least; one on the
  // logic die moves it through the TSVs.
  auto per_byte = [](const char* name) {
    return pim_preset(name)->gemv(2048, 768, 1, DType::kFP16).energy_pj / (2048.0 * 768 * 2);
  };
  EXPECT_LT(per_byte("hbm3-bank-pim"), per_byte("hbm3-bankgroup-pim"));
  EXPECT_LT(per_byte("hbm3-bankgroup-pim"), per_byte("hbm3-logic-pim"));
  // A large matrix uses its rows whole and its input is small beside it: about AttAcc's
  // 0.55 pJ/bit of cell traffic plus 0.16 pJ/B of MACs. A small one opens rows it reads only in
  // part (19 of 32 granules per bank here) and broadcasts its input to all 80 channels.
  const auto bank = pim_preset("hbm3-bank-pim");
  const double large = bank->gemv(8192, 8192, 1, DType::kFP16).energy_pj / (8192.0 * 8192 * 2);
  EXPECT_NEAR(large, 0.55 * 8 + 0.16, 0.5);
  EXPECT_GT(per_byte("hbm3-bank-pim"), large);
  // Either way well below the GPU's 32.5 pJ per HBM byte.
  EXPECT_LT(per_byte("hbm3-bank-pim"), gpu_preset("b200")->energy().pj_per_hbm_byte() / 3);
}

TEST(EnergyPim, EachTokenReSweepsTheWeightsAndTheExpertIsItsMatrices) {
  const auto m = pim_preset("hbm3-bank-pim");
  const PimCost one = m->gemv(2048, 768, 1, DType::kFP16);
  const PimCost two = m->gemv(2048, 768, 2, DType::kFP16);
  // One input vector per pass: every token reads the weights again (the rows stay open).
  EXPECT_EQ(two.commands.mac, 2 * one.commands.mac);
  EXPECT_EQ(two.commands.activate, one.commands.activate);
  EXPECT_GT(two.energy_pj / one.energy_pj, 1.5);
  EXPECT_LT(two.energy_pj / one.energy_pj, 2.0);
  ExpertShape e;
  e.hidden = 2048;
  e.intermediate = 768;
  double sum = 0;
  for (const auto& mat : e.matrices())
    sum += m->gemv(mat.rows, mat.cols, 3, e.weight_dtype).energy_pj;
  EXPECT_DOUBLE_EQ(m->expert(e, 3).energy_pj, sum);
  // Refresh stretches the time, not the energy: the start does not matter.
  EXPECT_DOUBLE_EQ(m->expert(e, 3, 0, 3'899'000'000).energy_pj, sum);
}

TEST(EnergyPim, AttentionEnergyIsTheSumOfItsSlicesCommands) {
  const auto m = pim_preset("hbm3-bank-pim");
  std::vector<AttentionHead> heads(40, AttentionHead{2048, 4, 128, 128, DType::kFP16});
  const PimCost c = m->attention(heads);
  EXPECT_GT(c.energy_pj, 0);
  EXPECT_DOUBLE_EQ(c.energy_pj, priced(*m, c.commands, 1));
}

TEST(EnergyGpu, KernelsCostTheirFlopsAtThePowerAboveIdleAndTheirHbmBytes) {
  const auto h100 = gpu_preset("h100");
  const GpuEnergy& e = h100->energy();
  EXPECT_DOUBLE_EQ(e.idle_W(), 80.3);
  EXPECT_NEAR(e.pj_per_flop(DType::kBF16), (700 - 80.3) / 989e12 * 1e12, 1e-12);
  EXPECT_NEAR(e.pj_per_flop(DType::kFP8), e.pj_per_flop(DType::kBF16) * 989 / 1979, 1e-12);
  EXPECT_DOUBLE_EQ(e.pj_per_hbm_byte(), 3.59 * 8 + 3.75);
  const EnergyUse k = e.kernel(1e9, 1e6, DType::kBF16);
  EXPECT_DOUBLE_EQ(k.gpu_compute_pj, 1e9 * e.pj_per_flop(DType::kBF16));
  EXPECT_DOUBLE_EQ(k.gpu_hbm_pj, 1e6 * e.pj_per_hbm_byte());
  EXPECT_EQ(k.pim_pj + k.link_pj, 0);
  // B200: its own power limit and idle power; H200 inherits H100's.
  EXPECT_DOUBLE_EQ(gpu_preset("h200")->energy().idle_W(), 80.3);
  EXPECT_DOUBLE_EQ(gpu_preset("b200")->energy().idle_W(), 115);
}

TEST(EnergyLinks, FabricsPriceTheirBytes) {
  for (const auto& [name, pj_per_bit] :
       {std::pair{"nvlink4", 11.0}, {"nvlink5", 11.0}, {"pcie5", 11.0}, {"ib-ndr", 90.0}}) {
    const Params p(YAML::Load(std::string("f: {preset: ") + name + "}"), "t.yaml");
    const auto f = make_fabric_model(resolve_preset(p, "f", "fabric", name));
    EXPECT_DOUBLE_EQ(f->pj_per_byte(), 8 * pj_per_bit) << name;
  }
}

// Moving one expert from the GPU's grouped GEMM to the PIM takes its share of the GEMM's
// energy off the GPU components and puts its commands' energy on the PIM; nothing else moves.
TEST(EnergyMoves, AnExpertMovedToThePimMovesItsEnergy) {
  const auto gpu = gpu_preset("b200");
  const auto pim = pim_preset("hbm3e-bank-pim");
  ExpertShape shape;
  shape.hidden = 2048;
  shape.intermediate = 768;
  const std::vector<ExpertLoad> loads = {{0, 5, 0, 0}, {1, 3, 0, 0}, {2, 9, 0, 0}};
  const SchedulerInput in{0, loads, shape, DType::kBF16, *gpu, *pim, 0, 0};
  auto sched = make_scheduler(Params(YAML::Load("name: sieve"), "t.yaml", "scheduler"));
  std::vector<sim_time_t> done;
  test::RecordingDevices all_gpu, moved;
  ExpertSplit a;
  a.gpu = {0, 1, 2};
  test::execute_alone(*sched, in, a, done, all_gpu);
  ExpertSplit b;
  b.gpu = {0, 2};
  b.pim = {1};
  test::execute_alone(*sched, in, b, done, moved);

  const std::vector<std::int32_t> three = {3};
  const EnergyUse expert_on_gpu =
      gpu->grouped_gemm_energy(three, GemmShape::of(shape), DType::kBF16);
  const double expert_on_pim = pim->expert(shape, 3).energy_pj;
  EXPECT_EQ(all_gpu.energy.pim_pj, 0);
  EXPECT_DOUBLE_EQ(moved.energy.pim_pj, expert_on_pim);
  EXPECT_NEAR(all_gpu.energy.gpu_hbm_pj - moved.energy.gpu_hbm_pj, expert_on_gpu.gpu_hbm_pj,
              1e-9 * expert_on_gpu.gpu_hbm_pj);
  // Tile padding: each expert's tokens round up to the tile, so its FLOPs leave with it too.
  EXPECT_NEAR(all_gpu.energy.gpu_compute_pj - moved.energy.gpu_compute_pj,
              expert_on_gpu.gpu_compute_pj, 1e-9 * expert_on_gpu.gpu_compute_pj);
  EXPECT_EQ(moved.energy.link_pj, all_gpu.energy.link_pj);
  // At 3 tokens the PIM moves the weights three times at a fraction of the GPU's cost per byte.
  EXPECT_LT(expert_on_pim, expert_on_gpu.total_pj());
}

}  // namespace
}  // namespace sievesim

namespace sievesim {
namespace {

// Mean power of one stack while it runs a long GEMV (weights striped over every channel).
double gemv_stack_W(const PimModel& m, std::int64_t stacks) {
  const PimCost c = m.gemv(8192, 8192, 1, DType::kFP16);
  return c.energy_pj / static_cast<double>(c.busy_ps) / static_cast<double>(stacks);
}

// The power limit is a budget: the MAC interval is the shortest at which a stack's MAC stream
// stays within it, so a power-limited run's energy over its time respects the budget.
TEST(EnergyPowerLimit, APowerLimitedGemvDrawsItsBudgetAndNoMore) {
  for (const auto& [name, budget] :
       {std::pair{"hbm3-bank-pim", 35.0}, {"hbm3-bankgroup-pim", 25.0}, {"hbm3e-bank-pim", 55.0}}) {
    const auto limited = pim_preset(name, ", stacks: 1");
    const double w = gemv_stack_W(*limited, 1);
    // The budget caps the MAC stream; the row switches between MAC runs (tRP, tRCD) lower the
    // mean below it. Input writes and read-backs add about 1%.
    EXPECT_LT(w, budget * 1.02) << name;
    EXPECT_GT(w, budget * 0.6) << name;
    const auto free = pim_preset(name, ", stacks: 1, power_limit: false");
    EXPECT_GT(gemv_stack_W(*free, 1), 1.2 * w) << name;
    // Half the budget: MACs half as often, about half the power, the same energy.
    const auto half = pim_preset(
        name, ", stacks: 1, mac_power_budget_W_per_stack: " + std::to_string(budget / 2));
    EXPECT_LT(gemv_stack_W(*half, 1), budget / 2 * 1.02) << name;
    const PimCost a = limited->gemv(8192, 8192, 1, DType::kFP16);
    const PimCost b = half->gemv(8192, 8192, 1, DType::kFP16);
    EXPECT_DOUBLE_EQ(a.energy_pj, b.energy_pj) << name;
    EXPECT_GT(static_cast<double>(b.busy_ps) / static_cast<double>(a.busy_ps), 1.4) << name;
  }
}

TEST(EnergyPowerLimit, TheHbm3BudgetGivesAttAccsSixCycles) {
  // AttAcc's nCCDAB = 6 tCK under its power limit (HBM3_5.2Gbps): 35 W keeps it; the interval
  // moves with the budget in whole cycles (never below tCCD_L = 4).
  EXPECT_NE(pim_preset("hbm3-bank-pim")->describe().find("a MAC every 6 tCK"), std::string::npos);
  EXPECT_NE(pim_preset("hbm3-bank-pim", ", mac_power_budget_W_per_stack: 30")
                ->describe()
                .find("a MAC every 7 tCK"),
            std::string::npos);
  EXPECT_NE(pim_preset("hbm3-bank-pim", ", mac_power_budget_W_per_stack: 500")
                ->describe()
                .find("a MAC every 4 tCK"),
            std::string::npos);
  // The same budget on the faster HBM3E clock buys the same MAC rate in ns: 9 x 0.5 ns.
  EXPECT_NE(pim_preset("hbm3e-bank-pim", ", mac_power_budget_W_per_stack: 35")
                ->describe()
                .find("a MAC every 9 tCK"),
            std::string::npos);
}

}  // namespace
}  // namespace sievesim
