#include "engine/count_routing.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "engine/system.hpp"
#include "workload/synthetic_routing.hpp"

namespace sievesim {
namespace {

// The count engine's stream, away from base/rng.hpp's list so no other consumer shares it.
constexpr auto kCountDraw = static_cast<StreamId>(0x434E5401);
// Blend steps per drift epoch: popularity moves by at most 1/64 of a permutation change between
// neighbouring steps, far below the sampling noise of a layer's counts.
constexpr std::uint32_t kBlendSteps = 64;
// Above this mean the inversion walk is longer than the library's rejection sampler, and
// (1 - p)^n loses its relative precision.
constexpr double kInversionMaxMean = 24;
// Steps of the inversion walk with a tabled 1 / x (the walk stops near the mean, <= 24, but may
// run on in the tail).
constexpr std::size_t kInverseTable = 256;
// Cached popularity tables beyond this are dropped (drifting runs visit epochs in order; serving
// runs see many token counts).
constexpr std::size_t kMaxCached = 4096;

std::uint64_t splitmix(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

// Rosen's inclusion probabilities of successive sampling of k from weights w (see the header):
// pi_e = 1 - exp(-t w_e / W) with sum pi_e = k, t by Newton's method from t = k (the sum is
// concave and increasing in t, so Newton from below converges monotonically).
std::vector<double> inclusion(const std::vector<double>& w, std::int64_t k) {
  double total = 0;
  for (const double x : w) total += x;
  std::int64_t positive = 0;
  for (const double x : w) positive += x > 0;
  std::vector<double> pi(w.size(), 0.0);
  if (total <= 0) return pi;
  if (positive <= k) {  // every expert with weight is taken
    for (std::size_t e = 0; e < w.size(); ++e) pi[e] = w[e] > 0 ? 1.0 : 0.0;
    return pi;
  }
  double t = static_cast<double>(k);
  for (int it = 0; it < 100; ++it) {
    double f = -static_cast<double>(k), df = 0;
    for (const double x : w) {
      const double p = x / total, q = std::exp(-t * p);
      f += 1 - q;
      df += p * q;
    }
    const double step = f / df;
    t -= step;
    if (std::abs(step) <= 1e-12 * t) break;
  }
  for (std::size_t e = 0; e < w.size(); ++e) pi[e] = -std::expm1(-t * w[e] / total);
  return pi;
}

}  // namespace

CountRng::CountRng(std::uint64_t seed) {
  for (auto& s : s_) s = splitmix(seed);
}

CountRng::result_type CountRng::operator()() {
  const std::uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return r;
}

std::int32_t draw_binomial(CountRng& g, std::int64_t n, double p, double q0) {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return static_cast<std::int32_t>(n);
  if (static_cast<double>(n) * p > kInversionMaxMean || q0 <= 0)
    return std::binomial_distribution<std::int32_t>(static_cast<std::int32_t>(n), p)(g);
  // Walk the probabilities f(x) = f(x - 1) (n - x + 1) / x * p / (1 - p) until u is used up;
  // 1 / x from a table (a division per step was a third of the walk).
  static const std::vector<double> inverse = [] {
    std::vector<double> v(kInverseTable);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = 1.0 / static_cast<double>(i + 1);
    return v;
  }();
  double u = g.uniform(), f = q0;
  const double r = p / (1 - p);
  std::int64_t x = 0;
  while (u >= f && x < n) {
    u -= f;
    const double inv = static_cast<std::size_t>(x) < kInverseTable
                           ? inverse[static_cast<std::size_t>(x)]
                           : 1.0 / static_cast<double>(x + 1);
    f *= r * static_cast<double>(n - x) * inv;
    ++x;
  }
  return static_cast<std::int32_t>(x);
}

namespace {
[[noreturn]] void refuse_routing(const Params& routing) {
  routing.fail("source",
               "system.engine: counts draws token counts from a synthetic popularity (uniform, "
               "zipf, hotcold); trace and fitted routing need the token engine (system.engine: "
               "tokens)");
}
}  // namespace

void check_count_routing(const Experiment& cfg) {
  // Before the source is built: a trace it would read first need not exist to be refused.
  const Params& routing = cfg.sections->routing;
  const std::string source = routing.param<std::string>("source").dflt("uniform");
  if (source == "trace" || source == "fitted") refuse_routing(routing);
}

void check_count_engine(const System& sys) {
  const Sections& sec = *sys.cfg.sections;
  if (!dynamic_cast<const SyntheticRouting*>(sys.routing.get())) refuse_routing(sec.routing);
  const std::string dispatch = sec.placement.param<std::string>("replica_dispatch").dflt("even");
  if (dispatch != "even")
    sec.placement.fail("replica_dispatch",
                       "'" + dispatch +
                           "' chooses a replica token by token; system.engine: counts splits an "
                           "expert's tokens evenly over its replicas (replica_dispatch: even) or "
                           "needs system.engine: tokens");
}

CountRouter::CountRouter(const System& sys, std::int64_t first_node, std::int64_t nodes)
    : sys_(sys),
      source_(dynamic_cast<const SyntheticRouting&>(*sys.routing)),
      seed_(stream_seed(sys.cfg.workload.seed, kCountDraw)),
      experts_(sys.model.routed_experts),
      k_(sys.model.top_k),
      layers_(sys.model.num_layers),
      first_node_(first_node),
      locality_(source_.locality()),
      drift_period_(source_.drift_period_tokens()),
      nodes_(static_cast<std::size_t>(nodes)),
      counts_(static_cast<std::size_t>(experts_)) {}

CountRouter::Blend CountRouter::blend_of(std::span<const TokenSlot> slots) const {
  if (drift_period_ == 0 || slots.empty()) return {};
  std::uint64_t sum = 0;
  for (const auto& s : slots) sum += s.position;
  const double mean = static_cast<double>(sum) / static_cast<double>(slots.size());
  const auto step = static_cast<std::uint64_t>(std::floor(mean * kBlendSteps / drift_period_));
  return {step / kBlendSteps, static_cast<std::uint32_t>(step % kBlendSteps)};
}

const CountRouter::Popularity& CountRouter::popularity(std::int64_t layer, const Blend& blend) {
  const auto key = std::make_pair(layer, blend);
  if (auto it = popularity_.find(key); it != popularity_.end()) return it->second;
  if (popularity_.size() > kMaxCached) {
    popularity_.clear();
    zero_chance_.clear();
  }
  // The source's blend of two epochs' cumulative weights, as weights per expert.
  const auto l = static_cast<std::uint32_t>(layer);
  const auto a = source_.cumulative_weights(l, blend.epoch);
  std::vector<double> w(a.size());
  const double f = static_cast<double>(blend.step) / kBlendSteps;
  for (std::size_t e = 0; e < a.size(); ++e) w[e] = (a[e] - (e ? a[e - 1] : 0)) / a.back();
  if (f > 0) {
    const auto b = source_.cumulative_weights(l, blend.epoch + 1);
    for (std::size_t e = 0; e < b.size(); ++e)
      w[e] = (1 - f) * w[e] + f * (b[e] - (e ? b[e - 1] : 0)) / b.back();
  }
  std::vector<double> p = inclusion(w, k_), var(p.size());
  for (std::size_t e = 0; e < p.size(); ++e)
    var[e] = (e ? var[e - 1] : 0) + p[e] * (1 - p[e]) + 1e-300;  // every expert reachable
  for (auto& x : p) x *= 1 - locality_;
  return popularity_.emplace(key, Popularity{std::move(p), CdfTable(std::move(var))}).first->second;
}

const std::vector<double>& CountRouter::zero_chance(std::int64_t layer, const Blend& blend,
                                                    std::int64_t tokens) {
  const auto key = std::make_tuple(layer, blend, tokens);
  if (auto it = zero_chance_.find(key); it != zero_chance_.end()) return it->second;
  const std::vector<double>& p = popularity(layer, blend).p;
  if (zero_chance_.size() > kMaxCached) zero_chance_.clear();
  std::vector<double> q(p.size());
  for (std::size_t e = 0; e < p.size(); ++e)
    q[e] = std::exp(static_cast<double>(tokens) * std::log1p(-std::min(p[e], 1.0 - 1e-16)));
  return zero_chance_.emplace(key, std::move(q)).first->second;
}

CountRouter::OwnSets& CountRouter::own_sets(NodeState& n, std::uint64_t request,
                                            std::uint32_t position) {
  auto [it, fresh] = n.own.try_emplace(request);
  OwnSets& s = it->second;
  if (!fresh) return s;
  s.experts.assign(static_cast<std::size_t>(layers_ * k_), -1);
  std::vector<float> gates(static_cast<std::size_t>(k_));
  for (std::int64_t l = 0; l < layers_; ++l) {
    if (!sys_.model.layers[static_cast<std::size_t>(l)].moe) continue;
    source_.request_set(
        request, static_cast<std::uint32_t>(l), position,
        std::span<std::int32_t>(s.experts.data() + l * k_, static_cast<std::size_t>(k_)), gates);
  }
  return s;
}

void CountRouter::update_held(NodeState& n, BatchHistogram& h, std::int64_t iteration,
                              std::span<const TokenSlot> slots) {
  if (h.iteration == iteration) return;
  h.iteration = iteration;
  if (h.held.empty()) h.held.assign(static_cast<std::size_t>(layers_ * experts_), 0);
  // Adds `delta` tokens of `request` to every layer's histogram.
  auto add = [&](const OwnSets& s, std::int32_t delta) {
    for (std::int64_t l = 0; l < layers_; ++l)
      for (std::int64_t c = 0; c < k_; ++c)
        if (const auto e = s.experts[static_cast<std::size_t>(l * k_ + c)]; e >= 0)
          h.held[static_cast<std::size_t>(l * experts_ + e)] += delta;
  };
  // Requests now in the micro-batch, with their tokens, negated where they were before: what
  // remains nonzero is the change.
  std::unordered_map<std::uint64_t, std::int32_t> now;
  for (std::size_t i = 0; i < slots.size();) {
    std::size_t j = i + 1;
    while (j < slots.size() && slots[j].request == slots[i].request) ++j;
    const auto t = static_cast<std::int32_t>(j - i);
    now.emplace(slots[i].request, t);
    auto old = h.tokens.find(slots[i].request);
    const std::int32_t delta = t - (old == h.tokens.end() ? 0 : old->second);
    if (delta != 0) {
      OwnSets& s = own_sets(n, slots[i].request, slots[i].position);
      if (old == h.tokens.end()) ++s.batches;
      add(s, delta);
    }
    i = j;
  }
  for (const auto& [request, t] : h.tokens) {
    if (now.count(request)) continue;
    auto s = n.own.find(request);
    add(s->second, -t);
    if (--s->second.batches == 0) n.own.erase(s);  // gone from the node
  }
  h.tokens = std::move(now);
}

std::span<const std::int32_t> CountRouter::route(std::int32_t node, std::int64_t iteration,
                                                 std::int64_t layer, std::int64_t mb,
                                                 std::span<const TokenSlot> slots) {
  std::uint64_t key = seed_ ^ (static_cast<std::uint64_t>(node) << 32);
  key = splitmix(key) ^ static_cast<std::uint64_t>(iteration);
  key = splitmix(key) ^ (static_cast<std::uint64_t>(layer) << 8 | static_cast<std::uint64_t>(mb));
  rng_ = CountRng(splitmix(key));
  const auto tokens = static_cast<std::int64_t>(slots.size());
  const Blend blend = blend_of(slots);
  const Popularity& pop = popularity(layer, blend);
  const std::vector<double>& p = pop.p;
  const std::vector<double>& q0 = zero_chance(layer, blend, tokens);
  const std::int32_t* held = nullptr;
  if (locality_ > 0) {
    NodeState& n = nodes_[static_cast<std::size_t>(node - first_node_)];
    if (n.batches.size() <= static_cast<std::size_t>(mb))
      n.batches.resize(static_cast<std::size_t>(mb) + 1);
    BatchHistogram& h = n.batches[static_cast<std::size_t>(mb)];
    update_held(n, h, iteration, slots);
    held = h.held.data() + layer * experts_;
  }
  for (std::size_t e = 0; e < counts_.size(); ++e) {
    std::int32_t c = draw_binomial(rng_, tokens, p[e], q0[e]);
    if (held && held[e] > 0) {
      const auto h = static_cast<std::size_t>(held[e]);
      while (keep_pow_.size() <= h)
        keep_pow_.push_back(std::pow(1 - locality_, static_cast<double>(keep_pow_.size())));
      c += draw_binomial(rng_, held[e], locality_, keep_pow_[h]);
    }
    counts_[e] = std::min(c, static_cast<std::int32_t>(tokens));
  }
  fix_total(pop, tokens);
  return counts_;
}

void CountRouter::fix_total(const Popularity& pop, std::int64_t tokens) {
  std::int64_t total = 0;
  for (const auto c : counts_) total += c;
  const std::int64_t want = tokens * k_;
  const std::int32_t step = total < want ? 1 : -1;
  // An expert already at T (adding) or 0 (taking) is drawn again; few are, so this ends fast.
  for (std::int64_t left = std::abs(want - total), tries = 0; left > 0 && tries < 64 * want;
       ++tries) {
    const auto e = static_cast<std::size_t>(pop.variance.upper_index(rng_.uniform()));
    const std::int32_t c = counts_[e] + step;
    if (c < 0 || c > tokens) continue;
    counts_[e] = c;
    --left;
  }
}

void CountRouter::split(std::int64_t tokens, std::span<std::int32_t> out) {
  std::fill(out.begin(), out.end(), 0);
  for (std::int64_t t = 0; t < tokens; ++t) {
    const auto r = static_cast<std::size_t>(rng_.uniform() * static_cast<double>(out.size()));
    ++out[std::min(r, out.size() - 1)];
  }
}

double CountRouter::log_miss(std::int32_t c, std::int64_t tokens) {
  std::vector<double>& memo = log_miss_[tokens];
  if (memo.empty()) memo.assign(static_cast<std::size_t>(tokens + 1), std::nan(""));
  double& v = memo[static_cast<std::size_t>(c)];
  if (std::isnan(v)) v = std::log1p(-static_cast<double>(c) / static_cast<double>(tokens));
  return v;
}

std::int64_t CountRouter::distinct_tokens(std::int64_t pairs, double log_miss,
                                          std::int64_t tokens) {
  if (sys_.cfg.dispatch_per_expert) return pairs;
  // Rounded up with the chance of the fraction: a destination's few pairs would otherwise round
  // one way (2 pairs of 16 tokens: 1.94 -> 2, 3 % too many bytes).
  const double mean = static_cast<double>(tokens) * -std::expm1(log_miss);
  const auto whole = static_cast<std::int64_t>(mean);
  const std::int64_t est = whole + (rng_.uniform() < mean - static_cast<double>(whole));
  return std::clamp<std::int64_t>(est, 1, std::min(pairs, tokens));
}

}  // namespace sievesim
