// The fitted routing source (workload/fitted_routing.cpp) against the GPT-OSS-20B recordings:
// fitted on one half of the requests (even- or odd-numbered), its batch statistics are compared
// with the other, held-out half's real routing (two-fold cross-validation).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "base/params.hpp"
#include "common/test_paths.hpp"
#include "common/toy_model.hpp"
#include "workload/routing.hpp"
#include "workload/trace.hpp"

namespace sievesim {
namespace {

namespace fs = std::filesystem;

const RoutingTrace& gpt_oss() {
  static const RoutingTrace t = import_gpt_oss(test::shared_dir() + "/traces/gpt-oss-20b", 32);
  return t;
}

// The imported trace in a temporary file, written once: the source reads a file.
const std::string& trace_path() {
  static const std::string path = [] {
    const fs::path d =
        fs::temp_directory_path() / ("sievesim_fitted_test_" + std::to_string(::getpid()));
    fs::create_directories(d);
    const fs::path p = d / "gpt-oss.trace";
    std::ofstream out(p);
    write_trace(gpt_oss(), out);
    return p.string();
  }();
  return path;
}

std::unique_ptr<RoutingSource> fitted(std::int64_t experts, std::uint64_t seed,
                                      const std::string& split) {
  static ModelSpec m32 = test::toy_model(32, 4, 24);
  static ModelSpec m128 = test::toy_model(128, 4, 24);
  const Params p(
      YAML::Load("source: fitted\nfitted: {path: " + trace_path() + ", fit_split: " + split + "}"),
      "t.yaml");
  return make_routing_source(p, RoutingContext{experts == 32 ? m32 : m128, seed, ""});
}

// One layer's batch statistics: distinct experts used, the share of them used by one token
// only, and the busiest expert's load over the mean load of the used ones.
struct BatchStats {
  double active = 0, single = 0, max_over_mean = 0;
};

BatchStats stats(const std::vector<int>& load) {
  BatchStats s;
  int used = 0, ones = 0, total = 0, mx = 0;
  for (int c : load) {
    if (c == 0) continue;
    ++used;
    ones += c == 1;
    total += c;
    mx = std::max(mx, c);
  }
  s.active = used;
  s.single = used ? static_cast<double>(ones) / used : 0.0;
  s.max_over_mean = used ? mx / (static_cast<double>(total) / used) : 0.0;
  return s;
}

void add(BatchStats& to, const BatchStats& s) {
  to.active += s.active;
  to.single += s.single;
  to.max_over_mean += s.max_over_mean;
}

// Decode steps compared. Step 0 is left out: a recording starts at its first generated token,
// the chat template's same token in every request, so all requests route alike there (held-out
// batch of 16 at steps 0..160: 19.4 active experts, against 22.6 at steps 40..200) - a shared
// token the model, whose requests are independent, does not reproduce.
constexpr std::uint32_t kSteps[] = {40, 80, 120, 160, 200};
constexpr std::int64_t kPassOffset = 37;  // shift of each further pass over the held-out requests

// Real requests of one parity (1: the held-out odd-numbered ones, 0: the even ones fitted on): a
// batch of `batch` consecutive ones at the same decode step, averaged over layers, steps and batch
// starts. A batch larger than the half (68 requests) wraps around as trace replay does: request i
// replays recording i mod H, `kPassOffset` tokens later per pass, each recording wrapping with its
// own length.
BatchStats real_stats(std::int64_t batch, std::int64_t parity = 1) {
  const RoutingTrace& t = gpt_oss();
  const std::int64_t held = t.sequences / 2;
  BatchStats sum;
  int n = 0;
  for (std::int64_t start = 0; start < held; start += std::max<std::int64_t>(batch, held / 4)) {
    for (const std::uint32_t step : kSteps)
      for (std::int64_t l = 0; l < t.layers; ++l) {
        std::vector<int> load(static_cast<std::size_t>(t.experts));
        for (std::int64_t i = 0; i < batch; ++i) {
          const std::int64_t k = start + i;
          const std::int64_t s = parity + 2 * (k % held);
          const std::int64_t len = t.length[static_cast<std::size_t>(s)];
          const std::int64_t pos = (step + (k / held) * kPassOffset) % len;
          const std::size_t r = t.row(l, s, pos);
          for (std::int64_t j = 0; j < t.topk; ++j)
            ++load[static_cast<std::size_t>(t.expert[r + j])];
        }
        add(sum, stats(load));
        ++n;
      }
    if (batch >= held) break;
  }
  return {sum.active / n, sum.single / n, sum.max_over_mean / n};
}

// The same statistics from the fitted source: `batch` requests at the same step. A batch larger
// than the held-out half is built as real_stats builds it: H distinct requests, request i at
// `kPassOffset` tokens later per pass, so both sides hold the same repeated-request structure.
BatchStats fitted_stats(const RoutingSource& src, std::int64_t batch) {
  const std::int64_t held = gpt_oss().sequences / 2;
  BatchStats sum;
  int n = 0;
  std::vector<std::int32_t> e(4);
  std::vector<float> g(4);
  for (std::uint64_t first : {1000ull, 5000ull, 9000ull, 13000ull})
    for (const std::uint32_t step : kSteps)
      for (std::uint32_t l = 0; l < 24; ++l) {
        std::vector<int> load(32);
        for (std::int64_t i = 0; i < batch; ++i) {
          const std::int64_t pass = batch > held ? i / held : 0;
          const std::int64_t r = batch > held ? i % held : i;
          src.route({first + static_cast<std::uint64_t>(r),
                     step + static_cast<std::uint32_t>(pass * kPassOffset), l},
                    e, g);
          for (auto x : e) ++load[static_cast<std::size_t>(x)];
        }
        add(sum, stats(load));
        ++n;
      }
  return {sum.active / n, sum.single / n, sum.max_over_mean / n};
}

double rel(double a, double b) {
  return std::abs(a - b) / b;
}

TEST(FittedRouting, BatchStatisticsMatchTheHeldOutRequests) {
  // Two-fold cross-validation: fitted on the even-numbered requests and validated on the odd
  // ones, then the other way round. The trace is in path order, so halves by parity each hold
  // every dataset (fitted on the first half, max/mean at 256 comes out 2.48 against the second
  // half's 2.88: a domain shift, not a modelling error). Each fold must meet the band on active
  // experts and max/mean; the one-token share from batch 64 up counts a layer's rarest experts
  // (under one per layer at 256), where the two real halves differ by more than the band (0.081
  // and 0.021 on the even half, 0.091 and 0.027 on the odd; over 50 random 68/68 splits the
  // statistic spreads by 5 % and 9 %, and this split is lopsided), so a single fold cannot meet
  // it whatever the model. The cross-validated estimate (the mean over both folds) against the
  // mean of the two held-out halves is the band's test for every statistic.
  const auto even_fit = fitted(32, 1, "even"), odd_fit = fitted(32, 1, "odd");
  for (const std::int64_t batch : {16, 64, 256}) {
    const BatchStats odd = real_stats(batch, 1), even = real_stats(batch, 0);
    const BatchStats fe = fitted_stats(*even_fit, batch), fo = fitted_stats(*odd_fit, batch);
    std::printf(
        "batch %3lld: active %.2f|%.2f vs %.2f|%.2f, one-token share %.3f|%.3f vs %.3f|%.3f, "
        "max/mean %.3f|%.3f vs %.3f|%.3f (fitted on even|odd vs held-out odd|even)\n",
        static_cast<long long>(batch), fe.active, fo.active, odd.active, even.active, fe.single,
        fo.single, odd.single, even.single, fe.max_over_mean, fo.max_over_mean, odd.max_over_mean,
        even.max_over_mean);
    // At 256 both sides hold the requests about four times each, 37 tokens apart (68 real
    // requests cannot make 256 independent ones; the fitted side is built alike).
    for (const auto& [fit, held] : {std::pair{fe, odd}, std::pair{fo, even}}) {
      EXPECT_LE(rel(fit.active, held.active), 0.10) << "batch " << batch;
      EXPECT_LE(rel(fit.max_over_mean, held.max_over_mean), 0.10) << "batch " << batch;
    }
    auto cv = [](double a, double b) { return (a + b) / 2; };
    EXPECT_LE(rel(cv(fe.active, fo.active), cv(odd.active, even.active)), 0.10) << batch;
    EXPECT_LE(rel(cv(fe.single, fo.single), cv(odd.single, even.single)), 0.10) << batch;
    EXPECT_LE(
        rel(cv(fe.max_over_mean, fo.max_over_mean), cv(odd.max_over_mean, even.max_over_mean)),
        0.10)
        << batch;
  }
}

TEST(FittedRouting, TopExpertPopularityMatchesTheFitData) {
  const RoutingTrace& t = gpt_oss();
  const std::int64_t half = t.sequences / 2;
  const auto src = fitted(32, 7, "first");
  std::vector<std::int32_t> e(4);
  std::vector<float> g(4);
  double worst = 0;
  for (std::int64_t l = 0; l < t.layers; ++l) {
    // Each request's share of its tokens that pick the expert, averaged over requests: the fit
    // weighs requests, not tokens, alike.
    std::vector<double> real(32), model(32);
    for (std::int64_t s = 0; s < half; ++s) {
      const auto len = t.length[static_cast<std::size_t>(s)];
      for (std::int64_t p = 0; p < len; ++p) {
        const std::size_t r = t.row(l, s, p);
        for (std::int64_t j = 0; j < 4; ++j)
          real[static_cast<std::size_t>(t.expert[r + j])] += 1.0 / static_cast<double>(len);
      }
    }
    const double draws = 20000;
    for (std::uint64_t q = 0; q < 2000; ++q)
      for (std::uint32_t p = 0; p < 10; ++p) {
        src->route({q, p, static_cast<std::uint32_t>(l)}, e, g);
        for (auto x : e) model[static_cast<std::size_t>(x)] += 1;
      }
    const auto top = std::max_element(real.begin(), real.end()) - real.begin();
    const double a = real[static_cast<std::size_t>(top)] / static_cast<double>(half);
    const double b = model[static_cast<std::size_t>(top)] / draws;
    worst = std::max(worst, rel(b, a));
    EXPECT_LE(rel(b, a), 0.10) << "layer " << l << ": " << b << " vs " << a;
  }
  std::printf("top expert share: worst relative difference %.3f over %lld layers\n", worst,
              static_cast<long long>(t.layers));
}

// Consecutive tokens of a request share experts as often as in the fit data: the share of a
// token's experts that the previous token of its request also picked, averaged over layers and
// over requests (each request's own share, as the fit weighs requests alike).
TEST(FittedRouting, ConsecutiveTokensReuseExpertsAsInTheFitData) {
  const RoutingTrace& t = gpt_oss();
  const std::int64_t half = t.sequences / 2;
  double real = 0;
  for (std::int64_t s = 0; s < half; ++s) {
    double reused = 0, pairs = 0;
    for (std::int64_t l = 0; l < t.layers; ++l)
      for (std::int64_t p = 1; p < t.length[static_cast<std::size_t>(s)]; ++p, pairs += 4) {
        const std::size_t a = t.row(l, s, p - 1), b = t.row(l, s, p);
        for (std::int64_t j = 0; j < 4; ++j)
          reused += std::count(&t.expert[a], &t.expert[a] + 4, t.expert[b + j]);
      }
    real += pairs > 0 ? reused / pairs / static_cast<double>(half) : 0.0;
  }
  const auto src = fitted(32, 3, "first");
  std::vector<std::int32_t> prev(4), cur(4);
  std::vector<float> g(4);
  double model = 0, n = 0;
  for (std::uint64_t r = 0; r < 100; ++r)
    for (std::uint32_t l = 0; l < 24; ++l) {
      src->route({r, 0, l}, prev, g);
      for (std::uint32_t p = 1; p < 40; ++p, n += 4) {
        src->route({r, p, l}, cur, g);
        for (auto e : cur) model += std::count(prev.begin(), prev.end(), e);
        prev = cur;
      }
    }
  model /= n;
  std::printf("consecutive-token reuse: %.3f fitted vs %.3f fit data\n", model, real);
  EXPECT_LE(rel(model, real), 0.10);
}

TEST(FittedRouting, DeterministicPerKeyAndSeed) {
  const auto a = fitted(32, 1, "all"), b = fitted(32, 1, "all"), c = fitted(32, 2, "all");
  std::vector<std::int32_t> e1(4), e2(4), e3(4);
  std::vector<float> g1(4), g2(4), g3(4);
  int differ = 0;
  for (std::uint64_t r : {0ull, 3ull, 77ull, (1ull << 36) + 5})
    for (std::uint32_t p : {0u, 1u, 500u})
      for (std::uint32_t l : {23u, 0u, 11u}) {  // out of layer order: the chain is recomputed
        a->route({r, p, l}, e1, g1);
        a->route({r, p, l}, e2, g2);
        EXPECT_EQ(e1, e2);
        b->route({r, p, l}, e2, g2);  // a fresh source: nothing cached
        EXPECT_EQ(e1, e2);
        EXPECT_EQ(g1, g2);
        c->route({r, p, l}, e3, g3);
        differ += e1 != e3;
        std::vector<std::int32_t> s = e1;
        std::sort(s.begin(), s.end());
        EXPECT_EQ(std::unique(s.begin(), s.end()), s.end()) << "experts repeat";
        float sum = 0;
        for (float x : g1) sum += x;
        EXPECT_NEAR(sum, 1.0f, 1e-5f);
      }
  EXPECT_GT(differ, 18);  // of 36 keys
}

TEST(FittedRouting, SpreadsOverAMultipleOfTheTraceExperts) {
  const auto src = fitted(128, 1, "all");
  std::vector<int> used(128);
  std::vector<std::int32_t> e(4);
  std::vector<float> g(4);
  for (std::uint64_t r = 0; r < 400; ++r) {
    src->route({r, 3, 5}, e, g);
    for (auto x : e) {
      ASSERT_GE(x, 0);
      ASSERT_LT(x, 128);
      EXPECT_EQ(static_cast<std::uint64_t>(x) % 4, r % 4);  // request r's copy of expert x / 4
      ++used[static_cast<std::size_t>(x)];
    }
  }
  EXPECT_GT(std::count_if(used.begin(), used.end(), [](int c) { return c > 0; }), 64);
}

// A trace too large for the exact calibration of the draw weights (FLAME-MoE: 64 experts,
// top-6) takes the sampled one: the hottest expert of each layer keeps its share.
TEST(FittedRouting, FitsALargerTraceWithTheSampledCalibration) {
  const RoutingTrace t = import_flame_decode(test::shared_dir() + "/traces/flame-moe-290m");
  const fs::path p = fs::path(trace_path()).parent_path() / "flame.trace";
  {
    std::ofstream out(p);
    write_trace(t, out);
  }
  const ModelSpec m = test::toy_model(t.experts, t.topk, t.layers);
  const auto src = make_routing_source(
      Params(YAML::Load("source: fitted\nfitted: {path: " + p.string() + "}"), "t.yaml"),
      RoutingContext{m, 1, ""});
  const auto k = static_cast<std::size_t>(t.topk);
  std::vector<std::int32_t> e(k);
  std::vector<float> g(k);
  for (std::int64_t l = 0; l < t.layers; ++l) {
    std::vector<double> real(static_cast<std::size_t>(t.experts)), model(real.size());
    for (std::size_t i = 0; i < static_cast<std::size_t>(t.tokens) * k; ++i)
      real[static_cast<std::size_t>(t.expert[static_cast<std::size_t>(l * t.tokens) * k + i])] += 1;
    for (std::uint64_t q = 0; q < 4000; ++q) {
      src->route({q, 1, static_cast<std::uint32_t>(l)}, e, g);
      for (auto x : e) model[static_cast<std::size_t>(x)] += 1;
    }
    const auto top = std::max_element(real.begin(), real.end()) - real.begin();
    const double a = real[static_cast<std::size_t>(top)] / static_cast<double>(t.tokens);
    const double b = model[static_cast<std::size_t>(top)] / 4000;
    EXPECT_LE(rel(b, a), 0.10) << "layer " << l << ": " << b << " vs " << a;
  }
}

}  // namespace
}  // namespace sievesim
