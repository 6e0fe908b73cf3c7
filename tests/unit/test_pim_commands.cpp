// The in-DRAM PIM command model against AttAcc's HBM3-PIM rules (scale-snu/attacc_simulator,
// pim_ramulator_src/HBM3-PIM.cpp and trace_gen/): MAC and write spacing, the overlap of
// successive passes, refresh at fixed times, and attention spread over the channels.
#include <gtest/gtest.h>

#include "base/params.hpp"
#include "hw/pim/pim_model.hpp"
#include "hw/preset.hpp"

namespace sievesim {
namespace {

std::unique_ptr<PimModel> pim(const std::string& name, const std::string& extra = "") {
  const Params parent(YAML::Load("x: {preset: " + name + (extra.empty() ? "" : ", " + extra) + "}"),
                      "t.yaml");
  return make_pim_model(resolve_preset(parent, "x", "pim", name));
}

// HBM3 at 5.2 Gbps: tCK = 4 / 5.2 ns (QDR, as AttAcc defines it).
constexpr double kTckPs = 4000.0 / 5.2;
double tck(double cycles) {
  return cycles * kTckPs;
}

// A GEMV on one stack (16 channels x 64 banks) whose weights fill `rows_per_bank` DRAM rows
// (1 KB) in every bank: [k x 512 * rows_per_bank] FP16 for k = 1024.
PimCost sweep(const PimModel& m, std::int64_t rows_per_bank, std::int32_t tokens = 1) {
  return m.gemv(1024, 512 * rows_per_bank, tokens, DType::kFP16);
}

TEST(PimCommands, BankGroupMacsAreSpacedTccdL) {
  // One more row per bank: 4 banks x 32 granules = 128 more MACSB commands; the unit opens its
  // next bank while it works on the current one, so only the MAC spacing shows, plus the two
  // extra result moves (2 tCK each).
  for (const auto& [extra, interval] :
       std::vector<std::pair<std::string, int>>{{"power_limit: false", 4}, {"", 6}}) {
    const auto m = pim("hbm3-bankgroup-pim", "stacks: 1" + (extra.empty() ? "" : ", " + extra));
    const PimCost a = sweep(*m, 3), b = sweep(*m, 4);
    EXPECT_EQ(b.commands.mac - a.commands.mac, 128);
    EXPECT_NEAR(static_cast<double>(b.busy_ps - a.busy_ps), tck(128 * interval + 2 * 2), 2.0)
        << extra;
  }
}

TEST(PimCommands, AllBankMacsAreSpacedTccdLAndRowsCostTheirSwitch) {
  // Bank-level PIM: 32 more MACAB per extra row, and one more row switch: the gap from the last
  // MAC of a row to the first of the next is tRTP + tRP + tRCD = 8 + 19 + 19 tCK.
  for (const auto& [extra, interval] :
       std::vector<std::pair<std::string, int>>{{"power_limit: false", 4}, {"", 6}}) {
    const auto m = pim("hbm3-bank-pim", "stacks: 1" + (extra.empty() ? "" : ", " + extra));
    const PimCost a = sweep(*m, 3), b = sweep(*m, 4);
    EXPECT_EQ(b.commands.mac - a.commands.mac, 32);
    EXPECT_EQ(b.commands.activate - a.commands.activate, 1);
    EXPECT_NEAR(static_cast<double>(b.busy_ps - a.busy_ps),
                tck(31 * interval + 8 + 19 + 19 + 2 * 2), 2.0)
        << extra;
  }
}

TEST(PimCommands, InputWritesAreSpacedTccdL) {
  // One output column per channel, so the MACs are few: doubling the input from 2048 to 4096
  // elements adds 128 writes (32 B each) into one bank group, 4 tCK apart, and 2 MACs.
  const auto m = pim("hbm3-bank-pim", "stacks: 1");
  const PimCost a = m->gemv(2048, 16, 1, DType::kFP16), b = m->gemv(4096, 16, 1, DType::kFP16);
  EXPECT_EQ(b.commands.write_input - a.commands.write_input, 128);
  EXPECT_EQ(b.commands.mac - a.commands.mac, 2);
  EXPECT_NEAR(static_cast<double>(b.busy_ps - a.busy_ps), tck(128 * 4 + 2 * 6), 2.0);
}

TEST(PimCommands, NextPassWritesOverlapTheMacsOnlyPartly) {
  // The calibration GEMV, [2048 x 768] FP16 on one stack: 96 MACAB and 128 input writes per
  // channel and pass.
  for (const char* extra : {"stacks: 1", "stacks: 1, power_limit: false"}) {
    const auto m = pim("hbm3-bank-pim", extra);
    const int interval = std::string(extra).find("false") != std::string::npos ? 4 : 6;
    const PimCost one = m->gemv(2048, 768, 1, DType::kFP16);
    for (std::int32_t tokens : {2, 4, 8}) {
      const PimCost many = m->gemv(2048, 768, tokens, DType::kFP16);
      EXPECT_EQ(many.passes, tokens);
      EXPECT_EQ(many.commands.write_input, 128 * tokens);
      // Cheaper than passes in series: each later pass's writes hide behind the MACs before it.
      EXPECT_LT(many.busy_ps, tokens * one.busy_ps) << extra << " " << tokens;
      // Never cheaper than the MACs alone, nor than the first pass's input plus the MACs.
      EXPECT_GE(static_cast<double>(many.busy_ps), tck(96.0 * interval * tokens));
      EXPECT_GE(static_cast<double>(many.busy_ps), tck(128 * 4 + 96.0 * interval * tokens));
      // The later passes cost at least their MACs and row switches: the overlap is partial.
      EXPECT_GE(static_cast<double>(many.busy_ps - one.busy_ps),
                tck((tokens - 1) * (96.0 * interval + 3 * (8 + 19 + 19 - interval))) - 2.0);
    }
  }
}

TEST(PimCommands, RefreshIsAnEventAtFixedTimes) {
  const auto m = pim("hbm3-bank-pim", "stacks: 1");
  // AttAcc HBM3_5.2Gbps: nREFI 5070 tCK; tRFC 350 ns for 8 Gb dies = 455 tCK.
  const auto refi = static_cast<sim_time_t>(std::llround(tck(5070)));
  const auto rfc = static_cast<sim_time_t>(std::llround(tck(455)));
  EXPECT_NEAR(static_cast<double>(rfc), 350e3, 1e3);
  // Shorter than tREFI, started at 0: no refresh.
  EXPECT_EQ(m->refresh_end_ps(0, refi - 1000), refi - 1000);
  // Crossing one refresh: exactly tRFC later; crossing two: 2 tRFC.
  EXPECT_EQ(m->refresh_end_ps(refi - 100'000, 200'000), refi + 100'000 + rfc);
  EXPECT_EQ(m->refresh_end_ps(refi - 100'000, refi), 2 * refi - 100'000 + 2 * rfc);
  // A refresh the first one's stretch pushes the end over counts too.
  EXPECT_EQ(m->refresh_end_ps(refi - 100'000, refi + 100'001 - rfc), 2 * refi + 1 + rfc);
  // Refresh due at the very start goes first.
  EXPECT_EQ(m->refresh_end_ps(refi, 1000), refi + 1000 + rfc);

  // The start-time-free API is the kernel started at 0; a start just before a refresh pays it.
  const PimCost at0 = m->gemv(2048, 768, 1, DType::kFP16);
  EXPECT_LT(at0.busy_ps, refi);
  EXPECT_EQ(at0.time_ps, at0.busy_ps);
  EXPECT_EQ(at0.refresh_ps, 0);
  const PimCost late = m->gemv(2048, 768, 1, DType::kFP16, 0, refi - 100'000);
  EXPECT_EQ(late.busy_ps, at0.busy_ps);
  EXPECT_EQ(late.time_ps, at0.busy_ps + rfc);
  EXPECT_EQ(late.refresh_ps, rfc);
  ExpertShape e;
  e.hidden = 2048;
  e.intermediate = 768;
  e.gated = true;
  e.weight_dtype = DType::kFP16;
  const sim_time_t expert = m->expert_ps(e, 1);
  EXPECT_EQ(m->expert_ps(e, 1, 0, refi - 100'000), expert + rfc);
  EXPECT_EQ(m->expert_ps(e, 1, 0, refi + 1'000'000), expert);
}

TEST(PimCommands, AttentionSpreadsAFewHeadsOverAllChannels) {
  // One head of 4096 tokens on a B200-class node (8 HBM3E stacks, 128 channels).
  const auto m = pim("hbm3e-bank-pim");
  ASSERT_EQ(m->channels(), 128);
  const AttentionHead h{4096, 1, 128, 128, DType::kFP16};
  const sim_time_t one_channel = m->attention_head(h).busy_ps;
  const std::vector<AttentionHead> one(1, h), full(128, h);
  const PimCost spread = m->attention(one);
  // 128 heads fill the channels one each, so they take one channel's time; a single head split
  // over the channels is many times faster, bounded by merging the partial softmax results.
  EXPECT_NEAR(static_cast<double>(m->attention(full).busy_ps), static_cast<double>(one_channel),
              0.01 * static_cast<double>(one_channel));
  EXPECT_LT(spread.busy_ps * 5, one_channel);
  EXPECT_GT(spread.busy_ps * 128, one_channel);
  // The work is the head's: all of K and V read once, in slices.
  EXPECT_NEAR(spread.dram_bytes, 2.0 * 4096 * 128 * 2, 2.0 * 128 * 128 * 2);
  // Two heads on 128 channels split as well, and are no faster than one.
  const std::vector<AttentionHead> two(2, h);
  EXPECT_GE(m->attention(two).busy_ps, spread.busy_ps);
  EXPECT_LT(m->attention(two).busy_ps * 4, one_channel);
}

TEST(PimCommands, HeadsOnOneChannelPipelineTheirInputs) {
  // Two heads back to back on one channel take less than twice one (the second head's query is
  // written while the first head computes), but at least twice the MACs of one.
  const auto m = pim("hbm3-bank-pim", "stacks: 1");
  const AttentionHead h{2048, 1, 128, 128, DType::kFP16};
  const std::vector<AttentionHead> sixteen(16, h), thirty_two(32, h);
  const sim_time_t one = m->attention(sixteen).busy_ps;
  const sim_time_t two = m->attention(thirty_two).busy_ps;
  EXPECT_LT(two, 2 * one);
  // K and V of one head: 2 x 512 KB per channel = 2 x 256 MACAB per bank-row granule stream.
  EXPECT_GE(static_cast<double>(two), tck(2 * 2 * 256 * 6));
}

}  // namespace
}  // namespace sievesim
