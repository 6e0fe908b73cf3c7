// Recorded routing: the sievesim trace format, the FLAME importer, replay, and the statistics of
// `workload-stats` against the binomial expectation and the FLAME trace's published figures.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "base/error.hpp"
#include "base/params.hpp"
#include "common/test_paths.hpp"
#include "common/toy_model.hpp"
#include "workload/routing.hpp"
#include "workload/stats.hpp"
#include "workload/trace.hpp"

namespace sievesim {
namespace {

namespace fs = std::filesystem;

fs::path scratch() {
  const fs::path d =
      fs::temp_directory_path() / ("sievesim_trace_test_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

std::string write_file(const std::string& name, const std::string& text) {
  const auto p = scratch() / name;
  std::ofstream(p) << text;
  return p.string();
}

// A toy model: `layers` MoE layers of `experts` experts, top-k.
ModelSpec toy(std::int64_t experts, std::int64_t k, std::int64_t layers) {
  return test::toy_model(experts, k, layers);
}

const RoutingTrace& flame() {
  static const RoutingTrace t = import_flame_decode(test::shared_dir() + "/traces/flame-moe-290m");
  return t;
}

TEST(Trace, FlameImportHasTheDocumentedShape) {
  const RoutingTrace& t = flame();
  EXPECT_EQ(t.experts, 64);
  EXPECT_EQ(t.topk, 6);
  EXPECT_EQ(t.sequences, 64);
  EXPECT_EQ(t.positions, 10);
  EXPECT_EQ(t.layers, 8);
  // Weights are the router probabilities, not renormalised: the README's 6 values sum to
  // 0.10-0.92 over its 5,120 decode rows (64 sequences x 10 positions x 8 layers).
  std::vector<double> sums;
  for (std::size_t r = 0; r < t.expert.size(); r += 6) {
    double s = 0;
    for (std::size_t j = 0; j < 6; ++j) s += t.weight[r + j];
    sums.push_back(s);
  }
  ASSERT_EQ(sums.size(), 5120u);
  EXPECT_NEAR(*std::min_element(sums.begin(), sums.end()), 0.10, 0.005);
  EXPECT_NEAR(*std::max_element(sums.begin(), sums.end()), 0.92, 0.005);
}

TEST(Trace, WriteThenReadIsIdentity) {
  std::ostringstream text;
  write_trace(flame(), text);
  const RoutingTrace back = read_trace(write_file("flame.trace", text.str()));
  EXPECT_EQ(back.expert, flame().expert);
  ASSERT_EQ(back.weight.size(), flame().weight.size());
  for (std::size_t i = 0; i < back.weight.size(); ++i)
    EXPECT_NEAR(back.weight[i], flame().weight[i], 1e-6);
}

std::string read_error(const std::string& text) {
  try {
    read_trace(write_file("bad.trace", text));
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Trace, MalformedTracesNameTheFileAndLine) {
  const std::string head =
      "# sievesim-trace 1\nexperts,4\ntopk,2\nsequences,1\npositions,1\nlayers,1\nlayer,sequence,"
      "position,expert_0,expert_1,weight_0,weight_1\n";
  EXPECT_EQ(read_error(head + "0,0,0,1,2,0.5,0.5\n"), "");
  EXPECT_NE(read_error("hello\n").find("not a sievesim trace"), std::string::npos);
  EXPECT_NE(read_error(head).find("missing"), std::string::npos);
  EXPECT_NE(read_error(head + "0,0,0,1,1,0.5,0.5\n").find("line 8: expert listed twice"),
            std::string::npos);
  EXPECT_NE(read_error(head + "0,0,0,1,9,0.5,0.5\n").find("out of range"), std::string::npos);
  EXPECT_NE(read_error(head + "0,0,0,1,2,0.5\n").find("expected 7 columns"), std::string::npos);
  EXPECT_NE(read_error(head + "0,0,0,1,x,0.5,0.5\n").find("expected an expert id"),
            std::string::npos);
  EXPECT_NE(read_error(head + "0,0,0,1,2,0.5,0.5\n0,0,0,1,2,0.5,0.5\n").find("duplicate"),
            std::string::npos);
  EXPECT_NE(
      read_error("# sievesim-trace 1\nexperts,4\ntopk,9\nsequences,1\npositions,1\nlayers,1\nx\n")
          .find("topk: larger than experts"),
      std::string::npos);
}

TEST(Trace, FlameStatisticsMatchTheTraceReadme) {
  // The README of shared/traces: 64 decode tokens (80 batches): 63.6 of 64 experts active, mean
  // max load 13.3, 8.1 % of active experts with 1-2 tokens, 0.6 % idle.
  std::ostringstream text;
  write_trace(flame(), text);
  const std::string path = write_file("flame.trace", text.str());
  ModelSpec m = toy(64, 6, 9);
  m.layers[0].moe = false;  // FLAME-MoE: MoE in 8 layers
  const Params p(YAML::Load("source: trace\ntrace: {path: " + path + "}"), "t.yaml");
  const auto src = make_routing_source(p, RoutingContext{m, 1, ""});
  const auto stats = routing_stats(*src, m, 64, 10);
  const RoutingStats& all = stats.back();
  EXPECT_EQ(all.batches, 80);
  EXPECT_NEAR(all.active_experts, 63.6, 0.05);
  EXPECT_NEAR(all.max_tokens, 13.3, 0.05);
  EXPECT_NEAR(100 * (all.share_1 + all.share_2), 8.1, 0.05);
  EXPECT_NEAR(100 * all.idle, 0.6, 0.05);
}

TEST(Trace, ExpertCountMismatchNeedsAnExplicitMapping) {
  std::ostringstream text;
  write_trace(flame(), text);
  const std::string path = write_file("flame.trace", text.str());
  const ModelSpec m = toy(128, 6, 4);
  const Params strict(YAML::Load("source: trace\ntrace: {path: " + path + "}"), "t.yaml");
  EXPECT_THROW(make_routing_source(strict, RoutingContext{m, 1, ""}), InputError);
  const Params mapped(
      YAML::Load("source: trace\ntrace: {path: " + path + ", expert_mapping: modulo}"), "t.yaml");
  const auto src = make_routing_source(mapped, RoutingContext{m, 1, ""});
  std::vector<std::int32_t> ex(6);
  std::vector<float> g(6);
  src->route({3, 2, 1}, ex, g);
  const std::size_t r = flame().row(1, 3, 2);
  for (std::size_t j = 0; j < 6; ++j)
    EXPECT_EQ(ex[j], flame().expert[r + j]);  // 64 < 128: unchanged
  const ModelSpec wrong_k = toy(64, 8, 4);
  EXPECT_THROW(make_routing_source(strict, RoutingContext{wrong_k, 1, ""}), InputError);
}

TEST(Stats, UniformRoutingMatchesTheBinomialExpectation) {
  const ModelSpec m = toy(128, 8, 2);
  const Params p(YAML::Load("source: uniform"), "t.yaml");
  const auto src = make_routing_source(p, RoutingContext{m, 5, ""});
  const std::int64_t B = 64, batches = 400;
  const RoutingStats all = routing_stats(*src, m, B, batches).back();
  // Each token takes a uniform k-subset: an expert is missed with probability 1 - k/E.
  const double q = 1.0 - 8.0 / 128.0;
  const double idle = std::pow(q, static_cast<double>(B));
  EXPECT_NEAR(all.idle, idle, 0.004);
  EXPECT_NEAR(all.active_experts, 128 * (1 - idle), 0.5);
  // Exactly one token: B p q^(B-1), as a share of active experts.
  const double p1 =
      static_cast<double>(B) * (8.0 / 128.0) * std::pow(q, static_cast<double>(B - 1));
  EXPECT_NEAR(all.share_1, p1 / (1 - idle), 0.01);
  EXPECT_NEAR(all.mean_tokens, static_cast<double>(B) * 8 / (128 * (1 - idle)), 0.05);
}

}  // namespace
}  // namespace sievesim
