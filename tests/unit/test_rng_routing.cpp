// Counter-based random numbers and the synthetic routing sources.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "base/error.hpp"
#include "base/params.hpp"
#include "base/rng.hpp"
#include "common/toy_model.hpp"
#include "model/model.hpp"
#include "workload/routing.hpp"

#include <algorithm>
#include <functional>

namespace sievesim {
namespace {

TEST(Philox, MatchesRandom123KnownAnswers) {
  // Known-answer vectors of philox4x32-10 from the Random123 distribution (kat_vectors).
  const auto zero = Philox4x32::generate(0, {0, 0, 0, 0});
  EXPECT_EQ(zero, (Philox4x32::Block{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  const auto ones = Philox4x32::generate(0xffffffffffffffffull,
                                         {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu});
  EXPECT_EQ(ones, (Philox4x32::Block{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
  const auto pi = Philox4x32::generate(0x299f31d0a4093822ull,
                                       {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u});
  EXPECT_EQ(pi, (Philox4x32::Block{0xd16cfe09u, 0x94fdcceb, 0x5001e420u, 0x24126ea1u}));
}

TEST(RandomStream, IsAPureFunctionOfItsKey) {
  RandomStream a(42, 1, 2, 3), b(42, 1, 2, 3), c(42, 1, 2, 4);
  int differs = 0;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u32();
    EXPECT_EQ(x, b.next_u32());
    differs += x != c.next_u32();
  }
  // Another key is another stream: two 32-bit draws agree with probability 2^-32, so all 100
  // differ (a stream ignoring the last key word would differ in none).
  EXPECT_EQ(differs, 100);
  RandomStream d(7, 0, 0, 0);
  for (int i = 0; i < 10000; ++i) {
    EXPECT_LT(d.next_below(13), 13u);
    const double u = d.next_double();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

using test::toy_model;

std::vector<std::int64_t> counts(const RoutingSource& src, std::int64_t experts, std::int64_t k,
                                 std::uint64_t tokens, std::uint32_t layer) {
  std::vector<std::int64_t> c(static_cast<std::size_t>(experts), 0);
  std::vector<std::int32_t> ex(static_cast<std::size_t>(k));
  std::vector<float> g(static_cast<std::size_t>(k));
  for (std::uint64_t t = 0; t < tokens; ++t) {
    src.route(RouteKey{t, 5, layer}, ex, g);
    std::set<std::int32_t> distinct(ex.begin(), ex.end());
    EXPECT_EQ(distinct.size(), static_cast<std::size_t>(k));
    double sum = 0;
    for (auto e : ex) {
      EXPECT_GE(e, 0);
      EXPECT_LT(e, experts);
      ++c[static_cast<std::size_t>(e)];
    }
    for (auto w : g) sum += w;
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
  return c;
}

TEST(Routing, UniformMatchesTheBinomialExpectation) {
  const ModelSpec m = toy_model(128, 8, 2);
  const Params p(YAML::Load("source: uniform"), "t.yaml");
  auto src = make_routing_source(p, RoutingContext{m, 3, ""});
  const std::uint64_t tokens = 20000;
  const auto c = counts(*src, 128, 8, tokens, 0);
  // Each expert is picked with probability k/E per token: mean 1250, sd ~ 34.
  const double mean = static_cast<double>(tokens) * 8 / 128;
  const double sd = std::sqrt(mean * (1 - 8.0 / 128));
  for (auto v : c) EXPECT_NEAR(static_cast<double>(v), mean, 5 * sd);
}

TEST(Routing, SameKeySameExpertsAcrossInstances) {
  const ModelSpec m = toy_model(64, 6, 3);
  const Params p(YAML::Load("source: zipf\nzipf: {s: 1.1}"), "t.yaml");
  auto a = make_routing_source(p, RoutingContext{m, 9, ""});
  auto b = make_routing_source(p, RoutingContext{m, 9, ""});
  auto c = make_routing_source(p, RoutingContext{m, 10, ""});
  std::vector<std::int32_t> ea(6), eb(6), ec(6);
  std::vector<float> g(6);
  int same_as_other_seed = 0;
  for (std::uint64_t t = 0; t < 200; ++t) {
    a->route({t, 17, 2}, ea, g);
    b->route({t, 17, 2}, eb, g);
    c->route({t, 17, 2}, ec, g);
    EXPECT_EQ(ea, eb);
    same_as_other_seed += ea == ec;
  }
  // Another seed draws other experts: even the likeliest ordered 6 of Zipf(1.1) over 64 comes
  // with probability under 1e-5, so 200 tokens match none.
  EXPECT_EQ(same_as_other_seed, 0);
}

TEST(Routing, ZipfIsSkewedAndHotExpertsDifferByLayer) {
  const ModelSpec m = toy_model(128, 8, 2);
  const Params p(YAML::Load("source: zipf\nzipf: {s: 1.0}"), "t.yaml");
  auto src = make_routing_source(p, RoutingContext{m, 1, ""});
  const auto l0 = counts(*src, 128, 8, 4000, 0);
  const auto l1 = counts(*src, 128, 8, 4000, 1);
  const auto hot0 = std::max_element(l0.begin(), l0.end()) - l0.begin();
  const auto hot1 = std::max_element(l1.begin(), l1.end()) - l1.begin();
  // The top expert is drawn with p1 = 1 / H_128 = 0.184 per draw; a token's 8 distinct draws
  // (repeats redrawn) include it with a probability between 1 - (1 - p1)^8 (every draw at p1)
  // and 1 - (1 - p1 / (1 - p2 - ... - p8))^8 (every draw with the next 7 already taken):
  // 0.80-0.92 of the 4000 tokens, where uniform routing would give it 8 / 128.
  double harmonic = 0, next7 = 0;
  for (int r = 1; r <= 128; ++r) harmonic += 1.0 / r;
  for (int r = 2; r <= 8; ++r) next7 += 1.0 / r / harmonic;
  const double p1 = 1.0 / harmonic;
  const double low = 4000 * (1 - std::pow(1 - p1, 8));
  const double high = 4000 * (1 - std::pow(1 - p1 / (1 - next7), 8));
  const double sd = std::sqrt(4000 * 0.25);  // Binomial(4000, p) at most
  for (const auto hottest :
       {l0[static_cast<std::size_t>(hot0)], l1[static_cast<std::size_t>(hot1)]}) {
    EXPECT_GE(static_cast<double>(hottest), low - 5 * sd);
    EXPECT_LE(static_cast<double>(hottest), high + 5 * sd);
  }
  EXPECT_NE(hot0, hot1);
}

TEST(Routing, UnknownSourceIsAnInputError) {
  const ModelSpec m = toy_model(8, 2, 1);
  const Params p(YAML::Load("source: magic"), "t.yaml", "workload.routing");
  try {
    make_routing_source(p, RoutingContext{m, 1, ""});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("workload.routing.source: unknown routing source 'magic'"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace sievesim

namespace sievesim {
namespace {

TEST(Routing, HotColdGivesTheHotExpertsTheirShare) {
  const ModelSpec m = toy_model(128, 8, 1);
  const Params p(YAML::Load("source: hotcold\nhotcold: {hot_fraction: 0.125, hot_share: 0.6}"),
                 "t.yaml");
  auto src = make_routing_source(p, RoutingContext{m, 4, ""});
  auto c = counts(*src, 128, 8, 20000, 0);
  std::sort(c.begin(), c.end(), std::greater<>());
  double hot = 0, all = 0;
  for (std::size_t i = 0; i < c.size(); ++i) (i < 16 ? hot : all) += static_cast<double>(c[i]);
  all += hot;
  // k distinct draws flatten the head a little (a token cannot take a hot expert twice): drawn
  // one by one in proportion to weight among those not yet taken, the hot share of a token's 8
  // is 0.568 (distribution of the hot count after each draw), sd 0.0012 over 20000 tokens.
  std::vector<double> p_hot(9, 0.0);  // p_hot[h]: h hot experts among the draws so far
  p_hot[0] = 1;
  for (int j = 0; j < 8; ++j) {
    std::vector<double> next(9, 0.0);
    for (int h = 0; h <= j; ++h) {
      const double wh = (16 - h) * 0.6 / 16, wc = (112 - (j - h)) * 0.4 / 112;
      next[static_cast<std::size_t>(h + 1)] += p_hot[static_cast<std::size_t>(h)] * wh / (wh + wc);
      next[static_cast<std::size_t>(h)] += p_hot[static_cast<std::size_t>(h)] * wc / (wh + wc);
    }
    p_hot = next;
  }
  double mean = 0, square = 0;
  for (int h = 0; h <= 8; ++h) {
    mean += h * p_hot[static_cast<std::size_t>(h)];
    square += h * h * p_hot[static_cast<std::size_t>(h)];
  }
  const double sd = std::sqrt((square - mean * mean) / 20000) / 8;
  EXPECT_NEAR(hot / all, mean / 8, 5 * sd);
}

// Expected share of a token's k experts that the previous token of its request (same own set
// of k, from E) also has, at locality L. Own expert j is in a token (probability q) when slot j
// takes it (L), except when the token's random draw already held it (k/E): slot j then skips
// it, and it stays if it sat in slot j itself (1/k), in an earlier slot that was not
// overwritten before j or was and slot j then took it (1 - L + L^2), or in a later slot that is
// not overwritten (1 - L). Two tokens share own expert j with q^2; their other k (1 - q)
// experts, random among the E - k others, share k^2 (1 - q)^2 / (E - k) more. Left out: two
// random draws hitting the own set at once, O((k/E)^2) = 0.004.
double expected_reuse(double L, double k, double E) {
  const double held_stays =
      1 / k + (k - 1) / (2 * k) * (1 - L + L * L) + (k - 1) / (2 * k) * (1 - L);
  const double q = (1 - k / E) * L + k / E * held_stays;
  return q * q + k * (1 - q) * (1 - q) / (E - k);
}

TEST(Routing, LocalityReusesThePreviousTokensExperts) {
  const ModelSpec m = toy_model(128, 8, 1);
  auto reuse = [&](double locality) {
    const Params p(
        YAML::Load("source: uniform\nuniform: {locality: " + std::to_string(locality) + "}"),
        "t.yaml");
    auto src = make_routing_source(p, RoutingContext{m, 2, ""});
    std::vector<std::int32_t> a(8), b(8);
    std::vector<float> g(8);
    double shared = 0;
    for (std::uint64_t r = 0; r < 2000; ++r) {
      src->route({r, 10, 0}, a, g);
      src->route({r, 11, 0}, b, g);
      for (auto e : b) shared += std::find(a.begin(), a.end(), e) != a.end();
    }
    return shared / (2000.0 * 8);
  };
  EXPECT_DOUBLE_EQ(expected_reuse(0, 8, 128), 8.0 / 128);  // by chance alone
  // 2000 pairs of tokens; the overlap share of one pair varies by under 1/32 (8 slots of nearly
  // independent Bernoulli; 0.007-0.028 measured), so the mean's sd is under 0.004: 0.02 is 5 sd.
  for (const double L : {0.0, 0.5, 0.8, 1.0})
    EXPECT_NEAR(reuse(L), expected_reuse(L, 8, 128), 0.02) << L;
}

TEST(Routing, DriftMovesTheHotExpertsOverTime) {
  const ModelSpec m = toy_model(128, 8, 1);
  const Params p(YAML::Load("source: zipf\nzipf: {s: 1.2, drift_period_tokens: 100}"), "t.yaml");
  auto src = make_routing_source(p, RoutingContext{m, 6, ""});
  auto hottest = [&](std::uint32_t position) {
    std::vector<std::int64_t> c(128, 0);
    std::vector<std::int32_t> ex(8);
    std::vector<float> g(8);
    for (std::uint64_t r = 0; r < 3000; ++r) {
      src->route({r, position, 0}, ex, g);
      for (auto e : ex) ++c[static_cast<std::size_t>(e)];
    }
    return std::max_element(c.begin(), c.end()) - c.begin();
  };
  EXPECT_EQ(hottest(0), hottest(1));    // within an epoch popularity barely moves
  EXPECT_NE(hottest(0), hottest(500));  // five epochs later it has moved on
}

}  // namespace
}  // namespace sievesim
