// Fitted routing (issue 15 part 3): a generative routing model learned from a recorded trace
// (workload/trace.hpp), for workloads longer, larger or more varied than the recording itself.
//
// Fitted per recorded MoE layer l, from the requests of `fit_split`:
//  - popularity pop_l(e): the share of a request's tokens that pick expert e;
//  - locality R_l: the share of a token's k experts that its request's previous token also
//    picked in the same layer (what caches and expert-reuse schedulers live on);
//  - affinity A_l(i, j) = P(j among the layer-(l+1) experts | i among the layer-l experts) of
//    the same token, smoothed towards pop_{l+1} with `affinity_prior` pseudo-tokens (a rarely
//    used expert's row is otherwise a handful of samples). The last layer's row leads to layer 0
//    of the same token, so a model with more MoE layers than the trace continues the chain.
//  - gate weights: the mean of the recorded weights by rank (largest first), renormalized.
// Every statistic weighs each recorded request the same, not each token. A generated request
// stands for a recorded request, and a decode batch holds one token of each of its requests,
// however long they run; pooling tokens would let the longest requests speak for all, and in the
// GPT-OSS-20B recordings length and routing go together: the 39 requests cut at 512 tokens put
// a quarter fewer of their choices on a layer's hottest expert than the ones that finish (2.1 vs
// 2.8 times the uniform share, every position past the first ten), so token-pooled popularity
// was flatter than any batch of distinct requests (max/mean load at batch 256: 2.46 against the
// fit requests' own 2.52 and 2.57 for independent requests; request-weighted, 2.59).
//
// The generative model. The source is asked for (request, position, layer) in any order and on
// any rank, so every choice must be a function of (seed, key) only; a token's previous token and
// previous layer cannot be looked up, they have to be recomputed. The model keeps that cheap:
//  - previous token: each request has its own k experts per layer, drawn once from pop_l keyed
//    by (seed, request, layer) (as the synthetic sources' locality does). Each of a token's k
//    slots takes the request's own expert of that slot with probability lambda_l; two
//    consecutive tokens then share it with probability lambda_l^2 and otherwise overlap by
//    chance, R0_l = sum_e pop_l(e)^2 * k, so lambda_l = sqrt((R_l - R0_l) / (1 - R0_l)) makes
//    the model's reuse the fitted R_l without knowing the previous token's draw;
//  - previous layer: the remaining slots are drawn from the mean affinity row of the token's own
//    experts in the previous MoE layer (pop_0 at the first), which is an exact first-order chain
//    over the layers of one token. Computing layer m then needs layers 0..m-1 of the same token:
//    a direct-mapped cache keyed by (request, position) keeps the chain computed so far, so the
//    usual layer-by-layer order costs one draw per call, and any other order still gives the
//    same experts (a miss recomputes the chain from layer 0).
//
// Expert counts: the model is fitted and drawn in the trace's expert ids. A model with f times
// the trace's experts (128 or 512 for the 32-expert GPT-OSS-20B trace: f = 4 or 16) maps id e of
// request r to e * f + (r mod f), as the trace source's `spread`: every model expert is used,
// each request keeps the fitted locality and affinity, a batch's load spreads over f copies of
// each fitted expert (so a batch of B requests looks like f batches of B / f on the fitted
// model), and a recorded expert's copies are neighbours under a contiguous placement. Any other
// count is an error.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/rng.hpp"
#include "workload/routing.hpp"
#include "workload/trace.hpp"
#include "workload/trace_cache.hpp"

namespace sievesim {
namespace {

// Stream ids of this source, away from base/rng.hpp's list so no other consumer shares them.
constexpr auto kFittedDraw = static_cast<StreamId>(0x46495401);
constexpr auto kFittedOwn = static_cast<StreamId>(0x46495402);
constexpr auto kFittedCalibration = static_cast<StreamId>(0x46495403);
// Chain cache slots: a decode step of up to 2^14 tokens per rank keeps its chains resident.
constexpr std::size_t kChainSlots = std::size_t{1} << 14;

class FittedRouting final : public RoutingSource {
 public:
  FittedRouting(const Params& p, const RoutingContext& ctx)
      : seed_(ctx.seed), model_experts_(ctx.model.routed_experts) {
    const std::string path = trace_path(
        p.param<std::string>("path")
            .desc("trace file to fit (sievesim trace format, from `sievesim trace-import`), "
                  "relative to the experiment file")
            .required(),
        ctx.base_dir);
    const std::string split =
        p.param<std::string>("fit_split")
            .one_of({"all", "first", "second", "even", "odd"})
            .desc(
                "requests to fit on, in the trace's order: all, the first or second half, or "
                "the even- or odd-numbered ones (fit on one part, validate against the other; "
                "the halves of a trace imported in path order hold different datasets)")
            .dflt("all");
    const double prior = p.param<double>("affinity_prior")
                             .min(0)
                             .max(1e9)
                             .desc(
                                 "pseudo-tokens of popularity added to every affinity row, so "
                                 "rarely used experts do not get a row of a few samples")
                             .dflt(8.0);
    if (p.describing()) return;  // no file to read
    const auto held = shared_trace(path);
    const RoutingTrace& t = *held;
    if (t.topk != ctx.model.top_k)
      p.fail("path", "the trace has top-" + std::to_string(t.topk) + " routing, the model top-" +
                         std::to_string(ctx.model.top_k));
    if (model_experts_ < t.experts || model_experts_ % t.experts != 0)
      p.fail("path", "the model's experts (" + std::to_string(model_experts_) +
                         ") must be a multiple of the trace's (" + std::to_string(t.experts) + ")");
    spread_ = model_experts_ / t.experts;
    std::int64_t lo = 0, hi = t.sequences, stride = 1;
    if (split == "first") hi = t.sequences / 2;
    if (split == "second") lo = t.sequences / 2;
    if (split == "even" || split == "odd") stride = 2, lo = split == "odd" ? 1 : 0;
    if (hi <= lo) p.fail("fit_split", "no requests to fit on");
    fit(t, lo, hi, stride, prior);
    std::int64_t m = 0;
    for (const auto& l : ctx.model.layers) moe_index_.push_back(l.moe ? m++ : -1);
    chains_.resize(kChainSlots);
  }

  void route(const RouteKey& key, std::span<std::int32_t> experts,
             std::span<float> gates) const override {
    const auto m = static_cast<std::size_t>(std::max<std::int64_t>(0, moe_index_[key.layer]));
    const std::int32_t* set = chain(key.request, key.position, m);
    const auto copy = static_cast<std::int32_t>(key.request % static_cast<std::uint64_t>(spread_));
    for (std::size_t j = 0; j < experts.size(); ++j) {
      experts[j] = set[j] * static_cast<std::int32_t>(spread_) + copy;
      gates[j] = gate_[j];
    }
  }

 private:
  void fit(const RoutingTrace& t, std::int64_t lo, std::int64_t hi, std::int64_t stride,
           double prior) {
    E_ = static_cast<std::size_t>(t.experts);
    K_ = static_cast<std::size_t>(t.topk);
    L_ = static_cast<std::size_t>(t.layers);
    pop_.assign(L_, std::vector<double>(E_, 0.0));
    aff_.assign(L_, std::vector<double>(E_ * E_, 0.0));
    lambda_.assign(L_, 0.0);
    gate_.assign(K_, 0.0f);
    std::vector<double> reuse(L_, 0.0), gsum(K_, 0.0);
    double tokens = 0, pairs = 0;
    std::vector<float> w(K_);
    // Every request weighs the same (see the header): a token of request s counts mean / len_s
    // tokens, so the counts keep the scale of tokens that `affinity_prior` is measured in.
    double requests = 0, recorded = 0;
    for (std::int64_t s = lo; s < hi; s += stride) {
      requests += 1;
      recorded += static_cast<double>(t.length[static_cast<std::size_t>(s)]);
    }
    for (std::int64_t s = lo; s < hi; s += stride) {
      const auto len = t.length[static_cast<std::size_t>(s)];
      if (len == 0) continue;
      const double u = recorded / requests / static_cast<double>(len);
      tokens += u * static_cast<double>(len);
      pairs += u * static_cast<double>(len - 1);
      for (std::int64_t pos = 0; pos < len; ++pos)
        for (std::size_t l = 0; l < L_; ++l) {
          const std::size_t r = t.row(static_cast<std::int64_t>(l), s, pos);
          const std::size_t nl = (l + 1) % L_;
          const std::size_t rn = t.row(static_cast<std::int64_t>(nl), s, pos);
          double wsum = 0;
          for (std::size_t j = 0; j < K_; ++j) {
            const auto e = static_cast<std::size_t>(t.expert[r + j]);
            pop_[l][e] += u;
            for (std::size_t i = 0; i < K_; ++i)
              aff_[l][e * E_ + static_cast<std::size_t>(t.expert[rn + i])] += u;
            if (pos > 0) {
              const std::size_t rp = t.row(static_cast<std::int64_t>(l), s, pos - 1);
              for (std::size_t i = 0; i < K_; ++i)
                if (t.expert[rp + i] == t.expert[r + j]) reuse[l] += u;
            }
            w[j] = t.weight[r + j];
            wsum += w[j];
          }
          if (wsum <= 0) continue;
          std::sort(w.begin(), w.end(), std::greater<>());
          for (std::size_t j = 0; j < K_; ++j) gsum[j] += u * w[j] / wsum;
        }
    }
    for (std::size_t l = 0; l < L_; ++l) {
      // pop_ becomes each expert's share of the layer's k * tokens choices.
      for (auto& c : pop_[l]) c /= tokens * static_cast<double>(K_);
      const std::size_t nl = (l + 1) % L_;
      for (std::size_t i = 0; i < E_; ++i) {
        // Row i counts k next-layer experts per use of i: smoothed towards pop_{l+1}, then made
        // a distribution.
        double sum = 0;
        for (std::size_t j = 0; j < E_; ++j) {
          auto& a = aff_[l][i * E_ + j];
          a = a + prior * static_cast<double>(K_) * pop_[nl][j];
          sum += a;
        }
        for (std::size_t j = 0; j < E_; ++j)
          aff_[l][i * E_ + j] = sum > 0 ? aff_[l][i * E_ + j] / sum : pop_[nl][j];
      }
      const double r = pairs > 0 ? reuse[l] / (pairs * static_cast<double>(K_)) : 0.0;
      double r0 = 0;
      for (double q : pop_[l]) r0 += q * q * static_cast<double>(K_);
      lambda_[l] = r > r0 && r0 < 1 ? std::sqrt(std::min(1.0, (r - r0) / (1 - r0))) : 0.0;
    }
    const double g = std::accumulate(gsum.begin(), gsum.end(), 0.0);
    for (std::size_t j = 0; j < K_; ++j)
      gate_[j] = g > 0 ? static_cast<float>(gsum[j] / g) : 1.0f / static_cast<float>(K_);
    pop_cdf_.resize(L_);
    tilt_.resize(L_);
    for (std::size_t l = 0; l < L_; ++l) {
      const auto w = draw_weights(pop_[l]);
      tilt_[l].resize(E_);
      for (std::size_t e = 0; e < E_; ++e) tilt_[l][e] = pop_[l][e] > 0 ? w[e] / pop_[l][e] : 0;
      pop_cdf_[l] = w;
      std::partial_sum(pop_cdf_[l].begin(), pop_cdf_[l].end(), pop_cdf_[l].begin());
    }
  }

  // The k distinct experts of a token are drawn one after another without replacement, which
  // flattens popularity: an expert of share 1/12 per choice is in fewer than a third of the
  // tokens, as the others crowd it out. These are the per-draw weights whose top-k inclusion
  // rates are k * pop (iterative proportional fitting; the inclusion rates computed exactly,
  // the last draw in closed form, so one round costs E^(k-1) steps).
  std::vector<double> draw_weights(const std::vector<double>& pop) const {
    std::vector<double> w = pop, incl(E_);
    // Exact rates up to E^(k-1) = 2^21 steps per round (32 experts top-4: 2^15); past that
    // (64 experts top-6: 2^30) sampled ones, from a fixed stream so the fit stays deterministic.
    const bool exact = std::pow(static_cast<double>(E_), static_cast<double>(K_) - 1) <= 0x1p21;
    for (int round = 0; round < (exact ? 30 : 10); ++round) {
      if (exact)
        inclusion(w, incl);
      else
        sampled_inclusion(w, static_cast<std::uint32_t>(round), incl);
      for (std::size_t e = 0; e < E_; ++e)
        if (incl[e] > 0) w[e] *= static_cast<double>(K_) * pop[e] / incl[e];
      const double sum = std::accumulate(w.begin(), w.end(), 0.0);
      for (auto& x : w) x /= sum;
    }
    return w;
  }

  // inclusion() estimated from 2^16 tokens drawn as route() draws them.
  void sampled_inclusion(const std::vector<double>& w, std::uint32_t round,
                         std::vector<double>& incl) const {
    std::vector<double> cdf = w;
    std::partial_sum(cdf.begin(), cdf.end(), cdf.begin());
    std::fill(incl.begin(), incl.end(), 0.0);
    std::vector<std::int32_t> set(K_);
    constexpr std::uint32_t kTokens = 1u << 16;
    for (std::uint32_t i = 0; i < kTokens; ++i) {
      RandomStream rng(stream_seed(0, kFittedCalibration), i, round, 0);
      for (std::size_t j = 0; j < K_; ++j) {
        set[j] = draw_one(cdf, rng, std::span<const std::int32_t>(set).first(j));
        incl[static_cast<std::size_t>(set[j])] += 1.0 / kTokens;
      }
    }
  }

  // Each expert's chance to be among k distinct sequential draws from weights `w` (summing to 1).
  void inclusion(const std::vector<double>& w, std::vector<double>& incl) const {
    std::fill(incl.begin(), incl.end(), 0.0);
    std::vector<std::int32_t> taken;
    double last = 0;  // sum of P(prefix) / remaining mass over prefixes of k - 1 draws
    // Depth-first over ordered prefixes; the final draw adds P(prefix) * w_e / remaining to every
    // expert not in the prefix: once to all (`last`), then taken back from the prefix's own.
    const auto walk = [&](auto&& self, double prob, double rest) -> void {
      if (taken.size() + 1 == K_) {
        const double f = prob / rest;
        last += f;
        for (const auto e : taken)
          incl[static_cast<std::size_t>(e)] -= f * w[static_cast<std::size_t>(e)];
        return;
      }
      for (std::size_t e = 0; e < E_; ++e) {
        if (w[e] <= 0 ||
            std::find(taken.begin(), taken.end(), static_cast<std::int32_t>(e)) != taken.end())
          continue;
        const double pe = prob * w[e] / rest;
        incl[e] += pe;
        taken.push_back(static_cast<std::int32_t>(e));
        self(self, pe, rest - w[e]);
        taken.pop_back();
      }
    };
    walk(walk, 1.0, 1.0);
    for (std::size_t e = 0; e < E_; ++e) incl[e] += last * w[e];
  }

  // Draws one expert from cumulative weights `cdf`, not among `taken`: inverse CDF, redrawn on a
  // repeat; after 32 repeats (a distribution concentrated on taken experts) the most likely
  // free expert, so a draw always ends.
  std::int32_t draw_one(const std::vector<double>& cdf, RandomStream& rng,
                        std::span<const std::int32_t> taken) const {
    const auto free = [&](std::int32_t e) {
      return std::find(taken.begin(), taken.end(), e) == taken.end();
    };
    for (int attempt = 0; attempt < 32; ++attempt) {
      const double u = rng.next_double() * cdf.back();
      auto e = static_cast<std::int32_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
      e = std::min(e, static_cast<std::int32_t>(E_) - 1);
      if (free(e)) return e;
    }
    std::int32_t best = -1;
    double bw = -1;
    for (std::size_t e = 0; e < E_; ++e) {
      const double we = cdf[e] - (e ? cdf[e - 1] : 0.0);
      if (free(static_cast<std::int32_t>(e)) && we > bw) {
        bw = we;
        best = static_cast<std::int32_t>(e);
      }
    }
    return best;
  }

  // Stream key words of (request, MoE layer): the request's high bits folded into the layer
  // word, so request ids past 2^32 do not repeat earlier requests' draws.
  static std::uint32_t layer_word(std::uint64_t request, std::size_t m) {
    return static_cast<std::uint32_t>(m) ^
           static_cast<std::uint32_t>((request >> 32) * 0x9E3779B97F4A7C15ull >> 32);
  }

  // The request's own k experts of MoE layer m (fitted layer m mod L), drawn from popularity.
  void own(std::uint64_t request, std::size_t m, std::span<std::int32_t> out) const {
    RandomStream rng(stream_seed(seed_, kFittedOwn), static_cast<std::uint32_t>(request),
                     layer_word(request, m), 0xFFFFFFFFu);
    for (std::size_t j = 0; j < K_; ++j) out[j] = draw_one(pop_cdf_[m % L_], rng, out.first(j));
  }

  // The token's experts in MoE layer m given its experts of layer m - 1 (`prev`, empty at 0).
  void step(std::uint64_t request, std::uint32_t position, std::size_t m,
            std::span<const std::int32_t> prev, std::span<std::int32_t> out) const {
    const std::size_t l = m % L_;
    std::vector<std::int32_t> mine(K_);
    own(request, m, mine);
    RandomStream rng(stream_seed(seed_, kFittedDraw), static_cast<std::uint32_t>(request),
                     layer_word(request, m), position);
    // Slots that reuse the request's own expert first, so the fresh draws avoid them.
    std::vector<bool> reuse(K_);
    for (std::size_t j = 0; j < K_; ++j) reuse[j] = rng.next_double() < lambda_[l];
    std::vector<std::int32_t> taken;
    for (std::size_t j = 0; j < K_; ++j)
      if (reuse[j]) taken.push_back(mine[j]);
    const std::vector<double>* cdf = &pop_cdf_[l];
    if (!prev.empty()) {
      const std::size_t pl = (m - 1) % L_;
      mix_.assign(E_, 0.0);
      for (const auto i : prev)
        for (std::size_t j = 0; j < E_; ++j)
          mix_[j] += aff_[pl][static_cast<std::size_t>(i) * E_ + j];
      // Tilted as popularity is for the draw without replacement (draw_weights).
      for (std::size_t j = 0; j < E_; ++j) mix_[j] *= tilt_[l][j];
      std::partial_sum(mix_.begin(), mix_.end(), mix_.begin());
      cdf = &mix_;
    }
    for (std::size_t j = 0; j < K_; ++j) {
      if (reuse[j]) {
        out[j] = mine[j];
        continue;
      }
      out[j] = draw_one(*cdf, rng, taken);
      taken.push_back(out[j]);
    }
  }

  // The token's experts in MoE layer m: its chain over the layers, from the cache or extended.
  const std::int32_t* chain(std::uint64_t request, std::uint32_t position, std::size_t m) const {
    const std::size_t slot =
        static_cast<std::size_t>((request * 0x9E3779B97F4A7C15ull + position) >> 50) &
        (kChainSlots - 1);
    Chain& c = chains_[slot];
    if (c.request != request || c.position != position) {
      c.request = request;
      c.position = position;
      c.layers = 0;
    }
    if (c.sets.size() < (m + 1) * K_) c.sets.resize((m + 1) * K_);
    for (; c.layers <= m; ++c.layers) {
      const std::size_t at = c.layers;
      std::span<std::int32_t> out(&c.sets[at * K_], K_);
      std::span<const std::int32_t> prev;
      if (at > 0) prev = std::span<const std::int32_t>(&c.sets[(at - 1) * K_], K_);
      step(request, position, at, prev, out);
    }
    return &c.sets[m * K_];
  }

  struct Chain {
    std::uint64_t request = 0;
    std::uint32_t position = 0;
    std::size_t layers = 0;          // MoE layers computed, 0 .. layers - 1
    std::vector<std::int32_t> sets;  // k per layer
  };

  std::uint64_t seed_;
  std::int64_t model_experts_;
  std::int64_t spread_ = 1;
  std::size_t E_ = 0, K_ = 0, L_ = 0;
  std::vector<std::vector<double>> pop_, pop_cdf_, aff_, tilt_;  // aff_[l][i * E + j]
  std::vector<double> lambda_;
  std::vector<float> gate_;
  std::vector<std::int64_t> moe_index_;
  mutable std::vector<Chain> chains_;
  mutable std::vector<double> mix_;
};

}  // namespace

SIEVESIM_REGISTER(RoutingRegistry, "fitted",
                  "a generative model fitted to a trace: per-layer popularity, per-request "
                  "locality and inter-layer affinity, deterministic per (seed, request, "
                  "position, layer)",
                  [](const Params& p, const RoutingContext& c) {
                    return std::make_unique<FittedRouting>(p, c);
                  })

}  // namespace sievesim
