// Serving under MPI: request metrics on hand-computable cases, and identical results on any rank
// layout while requests arrive, queue, prefill in chunks, decode and finish mid-run.
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

int world_size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

template <class Row>
std::vector<std::int64_t> columns(const Row& r, const std::vector<ColumnDef<Row>>& defs) {
  std::vector<std::int64_t> v;
  for (const auto& c : defs) v.push_back(c.get(r));
  return v;
}

RankResults run_alone(System& x) {
  Simulator sim(x, RankMap(x.cfg.nodes, 1, x.cfg.nodes), MPI_COMM_SELF);
  return sim.run();
}

// One GPU whose every kernel costs exactly its fixed cost (1 ms; bandwidth and FLOP/s so large
// that the roofline terms are below a nanosecond per kernel): iteration times are then a count
// of the kernel model's named kernels, whatever the batch and the context.
std::vector<std::string> constant_costs(std::vector<std::string> more) {
  std::vector<std::string> o = {"system.nodes=1",
                                "system.gpus_per_server=1",
                                "system.gpu.fixed_graph_us=1000",
                                "system.gpu.hbm_bandwidth_GBps=1000000",
                                "system.gpu.peak_bf16_tflops=1000000",
                                "system.gpu.peak_fp8_tflops=1000000",
                                "system.gpu.peak_fp32_tflops=1000000",
                                "system.gpu.half_saturation_MB=0",
                                "system.gpu.gemm_half_saturation_MB=0",
                                "scheduler.name=gpu-only",
                                "scheduler.attention=gpu",
                                "workload.requests.prompt=16"};
  o.insert(o.end(), more.begin(), more.end());
  return o;
}

// Kernels per iteration of Qwen3-30B-A3B on the GPU alone (engine/op_costs.cpp), each once: per
// layer input norm, QKV projection, rotary, KV-cache write, attention (decode or prefill), O
// projection, residual add, post-attention norm, router GEMM, top-k, permute, the experts'
// gate/up GEMM, activation and down GEMM, unpermute, residual add (16); then final norm, LM head
// and sampling when the iteration yields a token.
constexpr double kLaunchPs = 1e9;
double kernels_per_iteration(System& x, bool yields_token) {
  return static_cast<double>(x.model.num_layers) * 16.0 + (yields_token ? 3.0 : 0.0);
}

TEST(ServingMetrics, OneRequestWithConstantCosts) {
  if (world_size() > 1 && [] {
        int r;
        MPI_Comm_rank(MPI_COMM_WORLD, &r);
        return r;
      }() != 0)
    GTEST_SKIP() << "runs on rank 0 only";
  auto x_sys = System::assemble(
      test::quickstart(),
      constant_costs({"workload.requests.closed.concurrency=1", "workload.requests.output=5"}));
  System& x = *x_sys;
  const RankResults r = run_alone(x);
  const double iter_ps = kernels_per_iteration(x, true) * kLaunchPs;
  const Summary& s = r.summary;
  ASSERT_EQ(s.iterations, 5);
  ASSERT_EQ(s.requests_finished, 1);
  // Decode only: the first token comes after one iteration, then one token per iteration.
  EXPECT_NEAR(static_cast<double>(s.ttft.mean), iter_ps, iter_ps * 1e-3);
  EXPECT_NEAR(static_cast<double>(s.tpot.mean), iter_ps, iter_ps * 1e-3);
  EXPECT_NEAR(static_cast<double>(s.e2e.mean), 5 * iter_ps, 5 * iter_ps * 1e-3);
  EXPECT_NEAR(s.throughput_tokens_per_s_per_gpu(), 1e12 / iter_ps, 1e12 / iter_ps * 1e-3);
  EXPECT_NEAR(s.interactivity_tokens_per_s_per_user(), 1e12 / iter_ps, 1e12 / iter_ps * 1e-3);

  // Two requests sharing the batch: same kernels, so the same latencies and twice the tokens.
  auto x2_sys = System::assemble(
      test::quickstart(),
      constant_costs({"workload.requests.closed.concurrency=2", "workload.requests.output=5"}));
  System& x2 = *x2_sys;
  const Summary s2 = run_alone(x2).summary;
  EXPECT_EQ(s2.iterations, 5);
  EXPECT_NEAR(static_cast<double>(s2.tpot.p99), iter_ps, iter_ps * 1e-3);
  EXPECT_NEAR(static_cast<double>(s2.ttft.p99), iter_ps, iter_ps * 1e-3);
  EXPECT_NEAR(s2.throughput_tokens_per_s_per_gpu(), 2 * s.throughput_tokens_per_s_per_gpu(),
              s.throughput_tokens_per_s_per_gpu() * 2e-3);

  // Prefill and decode colocated: a 16-token prompt under a 6-token budget takes 3 iterations
  // (6 + 6 + 4; the last yields the first token), then 2 decode iterations for 3 tokens.
  auto x3_sys = System::assemble(
      test::quickstart(),
      constant_costs({"workload.mode=serve", "workload.requests.closed.concurrency=1",
                      "workload.requests.output=3", "workload.batching.max_tokens=6"}));
  System& x3 = *x3_sys;
  const RankResults r3 = run_alone(x3);
  // The first two chunks yield nothing: no LM head.
  const double ttft_ps =
      (2 * kernels_per_iteration(x3, false) + kernels_per_iteration(x3, true)) * kLaunchPs;
  ASSERT_EQ(r3.summary.iterations, 5);
  ASSERT_EQ(r3.requests.size(), 1u);
  EXPECT_EQ(r3.summary.prefill_tokens, 16);
  EXPECT_EQ(r3.summary.output_tokens, 3);
  EXPECT_NEAR(static_cast<double>(r3.summary.ttft.mean), ttft_ps, ttft_ps * 1e-3);
  EXPECT_NEAR(static_cast<double>(r3.summary.tpot.mean), iter_ps, iter_ps * 1e-3);
  const auto& totals = r3.totals;
  EXPECT_EQ(totals[0].prefill_tokens, 6);
  EXPECT_EQ(totals[2].prefill_tokens, 4);
  EXPECT_EQ(totals[2].output_tokens, 1);
  EXPECT_EQ(totals[3].decode_tokens, 1);
}

TEST(ServingMetrics, KvCapacityQueuesRequestsAndWarmupIsLeftOut) {
  // Room for exactly two requests' KV per node: the third and fourth wait for a finish.
  const std::vector<std::string> base = {"workload.requests.closed.concurrency=4",
                                         "workload.requests.output=3", "system.nodes=1",
                                         "system.gpus_per_server=1"};
  auto probe_sys = System::assemble(test::quickstart(), base);
  System& probe = *probe_sys;
  const double per_request = probe.model.sequence_kv_bytes(2048 + 3);
  // hbm_utilization such that the KV capacity is 2.5 requests.
  const double util = (probe.weight_bytes_on(0) + 2.5 * per_request) / probe.usable_hbm_bytes();
  auto o = base;
  o.push_back("workload.batching.hbm_utilization=" + std::to_string(util));
  o.push_back("workload.warmup_iterations=1");
  auto x_sys = System::assemble(test::quickstart(), o);
  System& x = *x_sys;
  const RankResults r = run_alone(x);
  ASSERT_EQ(r.summary.iterations, 6);
  for (std::size_t i = 0; i < r.totals.size(); ++i) {
    EXPECT_EQ(r.totals[i].batch, 2) << i;
    EXPECT_LE(static_cast<double>(r.totals[i].kv_used_bytes),
              x.cfg.workload.batching.kv_capacity_bytes);
  }
  EXPECT_EQ(r.totals[0].queued, 2);
  EXPECT_EQ(r.totals[3].queued, 0);
  // Warm-up: iteration 0 is not measured: 2 x 5 tokens count, and TTFT only of the two
  // requests admitted in iteration 3.
  EXPECT_EQ(r.summary.output_tokens, 10);
  EXPECT_EQ(r.summary.window_ps, r.totals.back().end_ps - r.totals[1].start_ps);
  sim_time_t late_ttft = 0;
  for (const auto& q : r.requests)
    if (q.admitted_iteration == 3) late_ttft = std::max(late_ttft, q.first_token_ps - q.arrival_ps);
  EXPECT_EQ(r.summary.ttft.p99, late_ttft);
  EXPECT_GT(late_ttft, r.totals[2].end_ps - r.totals[0].start_ps);  // it waited three iterations
}

struct ServeCase {
  const char* name;
  std::vector<std::string> overrides;
};
class ServingUnderMpi : public ::testing::TestWithParam<ServeCase> {};

TEST_P(ServingUnderMpi, RequestsInFlightGiveTheSameResultsOnAnyRankLayout) {
  auto x_sys = System::assemble(test::quickstart(), GetParam().overrides);
  System& x = *x_sys;
  Simulator sim(x, RankMap(x.cfg.nodes, world_size(), x.cfg.nodes / world_size()), MPI_COMM_WORLD);
  const RankResults res = sim.run();
  auto by_request = [](const RequestRow& r) { return r.request; };
  auto by_layer = [](const LayerRow& r) { return std::tie(r.node, r.iteration, r.layer); };
  const auto requests = test::gather_all(res.requests, by_request);
  const auto layers = test::gather_all(res.layers, by_layer);

  // Every request that arrived appears once (a closed loop stopped early has not sent them all);
  // token accounting adds up.
  ASSERT_LE(static_cast<std::int64_t>(requests.size()), x.total_requests);
  ASSERT_GT(requests.size(), 0u);
  std::int64_t emitted = 0, unfinished = 0;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& q = requests[i];
    EXPECT_EQ(q.request, static_cast<std::int64_t>(i));
    emitted += q.output_tokens;
    if (q.finish_ps < 0) {
      ++unfinished;
      continue;
    }
    EXPECT_LE(q.arrival_ps, q.admitted_ps);
    EXPECT_LT(q.admitted_ps, q.first_token_ps);
    EXPECT_LE(q.first_token_ps, q.finish_ps);
  }
  std::int64_t out_tokens = 0;
  for (const auto& t : res.totals) out_tokens += t.output_tokens;
  EXPECT_EQ(emitted, out_tokens);
  EXPECT_EQ(res.summary.requests_finished, static_cast<std::int64_t>(requests.size()) - unfinished);
  EXPECT_GT(unfinished, 0) << "the case should stop with requests in flight";
  EXPECT_EQ(res.summary.records_dispatched, res.summary.records_combined);

  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    // A system serves one run: the same experiment assembled again.
    auto again = System::assemble(x.cfg.file, x.cfg.overrides);
    const RankResults ref = run_alone(*again);
    auto ref_requests = ref.requests;
    std::sort(ref_requests.begin(), ref_requests.end(),
              [&](const auto& a, const auto& b) { return by_request(a) < by_request(b); });
    ASSERT_EQ(ref_requests.size(), requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i)
      ASSERT_EQ(columns(ref_requests[i], request_columns()),
                columns(requests[i], request_columns()))
          << "request " << i;
    ASSERT_EQ(ref.layers.size(), layers.size());
    for (std::size_t i = 0; i < layers.size(); ++i)
      ASSERT_EQ(columns(ref.layers[i], layer_columns()), columns(layers[i], layer_columns()))
          << "layer row " << i;
    ASSERT_EQ(ref.totals.size(), res.totals.size());
    for (std::size_t i = 0; i < res.totals.size(); ++i)
      ASSERT_EQ(columns(ref.totals[i], iteration_columns()),
                columns(res.totals[i], iteration_columns()));
    EXPECT_EQ(ref.summary.tpot.p90, res.summary.tpot.p90);
    EXPECT_EQ(ref.summary.ttft.p99, res.summary.ttft.p99);
    EXPECT_EQ(ref.summary.window_ps, res.summary.window_ps);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ServingUnderMpi,
    ::testing::Values(
        ServeCase{
            "poisson_lognormal_chunked_least_loaded",
            {"workload.mode=serve", "workload.requests.arrival=poisson",
             "workload.requests.poisson.rate_per_s=4000", "workload.requests.poisson.count=40",
             "workload.requests.prompt={dist: lognormal, lognormal: {median: 48, sigma: 1}}",
             "workload.requests.output={dist: uniform, uniform: {min: 2, max: 12}}",
             "workload.batching.max_tokens=96", "workload.batching.assignment=least-loaded",
             "workload.warmup_iterations=2", "workload.max_iterations=14"}},
        ServeCase{"closed_loop_refills_round_robin",
                  {"workload.mode=serve", "workload.requests.closed.concurrency=6",
                   "workload.requests.closed.per_client=4",
                   "workload.requests.prompt={dist: uniform, uniform: {min: 8, max: 40}}",
                   "workload.requests.output={dist: uniform, uniform: {min: 1, max: 6}}",
                   "workload.batching.max_tokens=32", "workload.batching.max_requests=2",
                   "workload.max_iterations=12"}}),
    [](const ::testing::TestParamInfo<ServeCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace sievesim
