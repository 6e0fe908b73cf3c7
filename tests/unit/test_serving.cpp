// Serving front end and continuous batching: arrival processes, length distributions, node
// assignment, KV admission, chunked prefill budgets, decode- and prefill-only modes.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "base/error.hpp"
#include "base/select.hpp"
#include "common/toy_model.hpp"
#include "workload/batch.hpp"
#include "workload/request_pool.hpp"
#include "workload/requests.hpp"

namespace sievesim {
namespace {

Params section(const std::string& yaml, const std::string& path = "workload.requests") {
  return Params(YAML::Load(yaml), "test.yaml", path);
}

// One full-attention layer with 100 KV bytes per token: a request of t tokens holds 100 t bytes.
ModelSpec kv_model() {
  ModelSpec m = test::toy_model(8, 2, 1);
  m.layers[0].kv_bytes_per_token = 100;
  return m;
}

RequestSpec req(std::int64_t id, std::int64_t prompt, std::int64_t output, sim_time_t at = 0) {
  return RequestSpec{id, at, prompt, output};
}

TEST(Lengths, ScalarIsFixedAndDistributionsStayInTheirBounds) {
  RandomStream rng(1, 2, 3, 4);
  const Params p = section(
      "{a: 77, b: {dist: uniform, uniform: {min: 10, max: 20}}, "
      "c: {dist: lognormal, lognormal: {median: 500, sigma: 0.5}}}");
  auto a = make_length_distribution(p, "a", 1);
  EXPECT_EQ(a->sample(rng), 77);
  EXPECT_EQ(a->max_tokens(), 77);
  auto b = make_length_distribution(p, "b", 1);
  auto c = make_length_distribution(p, "c", 1);
  EXPECT_EQ(c->max_tokens(), 4000);  // 8 x median by default
  std::vector<std::int64_t> ls;
  std::vector<int> seen(11, 0);  // lengths 10..20
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) {
    const auto v = b->sample(rng);
    ASSERT_GE(v, 10);
    ASSERT_LE(v, 20);
    ++seen[static_cast<std::size_t>(v - 10)];
    ls.push_back(c->sample(rng));
  }
  // Both bounds included: each of the 11 lengths is Binomial(20000, 1/11), 1818 +- 41 (sd);
  // an exclusive max would leave 20 at 0 and the others at 2000.
  const double each = 1.0 / 11;
  for (std::size_t i = 0; i < seen.size(); ++i)
    EXPECT_NEAR(seen[i], draws * each, 5 * std::sqrt(draws * each * (1 - each)))
        << "length " << 10 + i;
  std::sort(ls.begin(), ls.end());
  EXPECT_NEAR(static_cast<double>(ls[ls.size() / 2]), 500.0, 15.0);  // the median
  // exp(sigma) is the ratio of the 84th percentile to the median.
  EXPECT_NEAR(static_cast<double>(ls[ls.size() * 8413 / 10000]) / 500.0, std::exp(0.5), 0.05);
  EXPECT_THROW(
      make_length_distribution(section("{a: {dist: uniform, uniform: {min: 5, max: 4}}}"), "a", 1),
      InputError);
  EXPECT_THROW(make_length_distribution(section("{a: {dist: pareto}}"), "a", 1), InputError);
}

TEST(Arrivals, PoissonGapsHaveTheRateAndDependOnlyOnTheSeed) {
  const Params p = section("{arrival: poisson, poisson: {rate_per_s: 50, count: 20000}}");
  auto s1 = make_request_stream(p, 7, ".");
  const auto r1 = s1.arrivals->initial();
  ASSERT_EQ(r1.size(), 20000u);
  EXPECT_EQ(s1.arrivals->total(), 20000);
  const double mean_gap_s = ps_to_s(r1.back().arrival_ps) / 20000.0;
  EXPECT_NEAR(mean_gap_s, 1.0 / 50, 0.02 / 50 * 2);
  for (std::size_t i = 1; i < r1.size(); ++i) ASSERT_GE(r1[i].arrival_ps, r1[i - 1].arrival_ps);
  auto s2 = make_request_stream(p, 7, ".");
  const auto r2 = s2.arrivals->initial();
  EXPECT_EQ(r2[123].arrival_ps, r1[123].arrival_ps);
  auto s3 = make_request_stream(p, 8, ".");
  EXPECT_NE(s3.arrivals->initial()[123].arrival_ps, r1[123].arrival_ps);
}

TEST(Arrivals, CsvRowsWithHeaderAndCommentsAndOneLineErrors) {
  const std::string path = testing::TempDir() + "requests.csv";
  {
    std::ofstream f(path);
    f << "arrival_s,prompt_tokens,output_tokens\n# a comment\n0.5,100,10\n0.25, 50, 5\n\n1,1,1\n";
  }
  auto s = make_request_stream(section("{arrival: csv, csv: {path: " + path + "}}"), 1, ".");
  const auto r = s.arrivals->initial();
  ASSERT_EQ(r.size(), 3u);
  // Sorted by arrival; ids follow that order.
  EXPECT_EQ(r[0].arrival_ps, 250'000'000'000);
  EXPECT_EQ(r[0].prompt_tokens, 50);
  EXPECT_EQ(r[0].id, 0);
  EXPECT_EQ(r[1].output_tokens, 10);
  EXPECT_EQ(s.arrivals->max_prompt_tokens(), 100);
  // `count` stops reading after that many rows (file order), before sorting.
  auto two =
      make_request_stream(section("{arrival: csv, csv: {path: " + path + ", count: 2}}"), 1, ".");
  const auto r2 = two.arrivals->initial();
  ASSERT_EQ(r2.size(), 2u);
  EXPECT_EQ(r2[0].prompt_tokens, 50);
  EXPECT_EQ(r2[1].prompt_tokens, 100);
  {
    std::ofstream f(path);
    f << "0.5,100,10\n0.7,abc,3\n";
  }
  try {
    make_request_stream(section("{arrival: csv, csv: {path: " + path + "}}"), 1, ".");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "line 2");
    EXPECT_EQ(e.file(), path);
  }
  EXPECT_THROW(
      make_request_stream(section("{arrival: csv, csv: {path: /nonexistent.csv}}"), 1, "."),
      InputError);
  std::remove(path.c_str());
}

TEST(RequestPool, ClosedLoopRefillsInFinishOrderAndRoundRobinCycles) {
  auto s = make_request_stream(
      section("{arrival: closed, closed: {concurrency: 3, per_client: 2}, prompt: 10, output: 4}"),
      1, ".");
  auto rr = make_selected<AssignmentRegistry>(section("{}", "workload.batching"), "assignment",
                                              "round-robin", "assignment policy");
  RequestPool pool(*s.arrivals, *rr, 4);
  const std::vector<std::int64_t> zero(4, 0);
  auto a = pool.step(0, zero, {});
  ASSERT_EQ(a.size(), 3u);
  for (std::int32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(a[static_cast<std::size_t>(i)].node, i);
    EXPECT_EQ(a[static_cast<std::size_t>(i)].request.id, i);
    EXPECT_EQ(a[static_cast<std::size_t>(i)].request.prompt_tokens, 10);
  }
  // Requests 2 and 0 finish (given out of order): their clients send requests 3 then 4.
  a = pool.step(900, std::vector<std::int64_t>{0, 1, 0, 0}, {{800, 2}, {500, 0}});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].request.id, 3);
  EXPECT_EQ(a[0].request.arrival_ps, 500);
  EXPECT_EQ(a[0].node, 3);  // round robin goes on
  EXPECT_EQ(a[1].request.arrival_ps, 800);
  EXPECT_EQ(a[1].node, 0);
  EXPECT_EQ(pool.finished(), 2);
  EXPECT_FALSE(pool.done());
  a = pool.step(1000, std::vector<std::int64_t>{1, 1, 0, 1}, {{950, 1}});
  ASSERT_EQ(a.size(), 1u);  // the sixth and last
  EXPECT_EQ(a[0].request.id, 5);
  EXPECT_TRUE(pool.step(1200, std::vector<std::int64_t>{1, 1, 1, 1}, {}).empty());
  EXPECT_TRUE(pool.step(2000, zero, {{1500, 3}, {1600, 4}}).empty());
  EXPECT_FALSE(pool.done());
  pool.step(2100, zero, {{2050, 5}});
  EXPECT_TRUE(pool.done());
}

TEST(RequestPool, LeastLoadedAndIdleClusterJumpsToTheNextArrival) {
  auto s = make_request_stream(section("{arrival: poisson, poisson: {rate_per_s: 1, count: 3}}"), 3,
                               ".");
  const auto times = s.arrivals->initial();
  auto ll = make_selected<AssignmentRegistry>(section("{assignment: least-loaded}", "b"),
                                              "assignment", "round-robin", "assignment policy");
  RequestPool pool(*s.arrivals, *ll, 3);
  // Nothing has arrived at t = 0 and no node holds work: time jumps to the first arrival.
  auto a = pool.step(0, std::vector<std::int64_t>{0, 0, 0}, {});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].request.arrival_ps, times[0].arrival_ps);
  EXPECT_EQ(a[0].node, 0);
  // Busy cluster: no jump; at the second arrival, the least loaded node (2) gets it.
  a = pool.step(times[1].arrival_ps - 1, std::vector<std::int64_t>{1, 0, 0}, {});
  EXPECT_TRUE(a.empty());
  a = pool.step(times[1].arrival_ps, std::vector<std::int64_t>{2, 1, 0}, {});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].node, 2);
}

BatchConfig cfg(ServeMode mode, double capacity, std::int64_t max_tokens = 8192) {
  BatchConfig c;
  c.mode = mode;
  c.kv_capacity_bytes = capacity;
  c.max_tokens = max_tokens;
  return c;
}

TEST(NodeBatch, AdmitsWhileTheWholeKvFitsAndFreesItOnFinish) {
  const ModelSpec m = kv_model();
  // Each request reserves (10 + 5) x 100 = 1500 B; 3500 B hold two.
  NodeBatch b(0, cfg(ServeMode::kDecode, 3500), m);
  EXPECT_DOUBLE_EQ(b.reserve_bytes(req(0, 10, 5)), 1500);
  b.enqueue(req(0, 10, 5));
  b.enqueue(req(1, 10, 2));
  b.enqueue(req(2, 10, 5));
  std::vector<RequestRow> done;
  EXPECT_EQ(b.plan(0, 0), 0);
  EXPECT_EQ(b.running(), 2);
  EXPECT_EQ(b.outstanding(), 3);
  EXPECT_DOUBLE_EQ(b.kv_used_bytes(), 1500 + 1200);
  // Decode only: one token per request at the next position; context includes it.
  ASSERT_EQ(b.tokens().size(), 2u);
  EXPECT_EQ(b.tokens()[0].position, 10u);
  EXPECT_EQ(b.decode_context()[1], 11);
  EXPECT_EQ(b.emitting(), 2);
  b.complete(100, done);
  EXPECT_TRUE(done.empty());
  b.plan(100, 1);
  EXPECT_EQ(b.running(), 2);  // still no room for request 2
  b.complete(200, done);
  ASSERT_EQ(done.size(), 1u);  // request 1 (2 tokens) finished and freed its 1500 B
  EXPECT_EQ(done[0].request, 1);
  EXPECT_EQ(done[0].first_token_ps, 100);
  EXPECT_EQ(done[0].finish_ps, 200);
  EXPECT_EQ(done[0].output_tokens, 2);
  EXPECT_DOUBLE_EQ(b.kv_used_bytes(), 1500);
  b.plan(200, 2);
  EXPECT_EQ(b.running(), 2);  // request 2 admitted
  EXPECT_EQ(b.tokens()[1].request, 2u);
  b.complete(300, done);
  std::vector<RequestRow> left;
  b.unfinished(left);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[1].request, 2);
  EXPECT_EQ(left[1].admitted_ps, 200);
  EXPECT_EQ(left[1].finish_ps, -1);
  EXPECT_EQ(left[1].output_tokens, 1);
}

TEST(NodeBatch, ChunkedPrefillFillsTheTokenBudgetAfterDecodes) {
  const ModelSpec m = kv_model();
  NodeBatch b(0, cfg(ServeMode::kServe, 1e12, 16), m);
  b.enqueue(req(0, 3, 3));
  b.enqueue(req(1, 40, 2));
  std::vector<RequestRow> done;
  // Iteration 0: no decode yet; request 0's whole prompt (3) then 13 of request 1's.
  b.plan(0, 0);
  EXPECT_EQ(b.decode_tokens(), 0);
  EXPECT_EQ(b.prefill_tokens(), 16);
  ASSERT_EQ(b.prefill_chunks().size(), 2u);
  EXPECT_EQ(b.prefill_chunks()[0].new_tokens, 3);
  EXPECT_EQ(b.prefill_chunks()[1].new_tokens, 13);
  EXPECT_EQ(b.emitting(), 1);  // request 0's prompt is done: its first token
  b.complete(10, done);
  // Iteration 1: one decode token, then 15 prompt tokens from position 13.
  b.plan(10, 1);
  EXPECT_EQ(b.decode_tokens(), 1);
  EXPECT_EQ(b.decode_context()[0], 4);
  ASSERT_EQ(b.prefill_chunks().size(), 1u);
  EXPECT_EQ(b.prefill_chunks()[0].new_tokens, 15);
  EXPECT_EQ(b.prefill_chunks()[0].cached, 13);
  EXPECT_EQ(b.tokens()[1].position, 13u);
  EXPECT_EQ(b.tokens().back().position, 27u);
  EXPECT_EQ(b.emitting(), 1);
  b.complete(20, done);
  // Iteration 2: request 0's last decode, then the last 12 prompt tokens (first token).
  b.plan(20, 2);
  EXPECT_EQ(static_cast<std::int64_t>(b.tokens().size()), 13);
  EXPECT_EQ(b.emitting(), 2);
  b.complete(30, done);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].request, 0);
  EXPECT_EQ(done[0].first_token_ps, 10);
  EXPECT_EQ(done[0].output_tokens, 3);
  b.plan(30, 3);
  EXPECT_EQ(b.decode_tokens(), 1);
  b.complete(40, done);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[1].first_token_ps, 30);
  EXPECT_EQ(done[1].finish_ps, 40);
}

TEST(NodeBatch, PrefillModeEndsWithTheFirstTokenAndIdleNodesWait) {
  const ModelSpec m = kv_model();
  BatchConfig c = cfg(ServeMode::kPrefill, 1e12, 100);
  c.max_requests = 1;
  NodeBatch b(0, c, m);
  EXPECT_DOUBLE_EQ(b.reserve_bytes(req(0, 10, 50)), 1000);  // the prompt only
  b.enqueue(req(0, 150, 50, 5000));
  b.enqueue(req(1, 20, 50, 5000));
  EXPECT_EQ(b.plan(0, 0), 5000);  // nothing to do before the first arrival
  EXPECT_EQ(b.running(), 1);      // max_requests
  EXPECT_EQ(b.prefill_tokens(), 100);
  std::vector<RequestRow> done;
  b.complete(6000, done);
  b.plan(6000, 1);
  EXPECT_EQ(b.prefill_tokens(), 50);
  b.complete(7000, done);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].output_tokens, 1);
  EXPECT_EQ(done[0].first_token_ps, 7000);
  EXPECT_EQ(done[0].finish_ps, 7000);
}

TEST(NodeBatch, WarmupIterationsAreNotMeasured) {
  const ModelSpec m = kv_model();
  BatchConfig c = cfg(ServeMode::kDecode, 1e12);
  c.warmup_iterations = 2;
  NodeBatch b(0, c, m);
  b.enqueue(req(0, 10, 4));
  std::vector<RequestRow> done;
  for (std::int64_t it = 0; it < 4; ++it) {
    b.plan(it * 10, it);
    b.complete(it * 10 + 10, done);
  }
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].measured_tokens, 2);
  EXPECT_EQ(done[0].measured_first_ps, 30);
  EXPECT_EQ(done[0].last_token_ps, 40);
  EXPECT_EQ(done[0].admitted_iteration, 0);
}

}  // namespace
}  // namespace sievesim
