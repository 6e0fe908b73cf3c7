#pragma once
// Count-level routing for the count engine (`system.engine: counts`): how many tokens of one
// (node, micro-batch, MoE layer) pick each expert, drawn directly instead of each token's k
// experts. The token engine draws ~26 Philox blocks per token and layer (bench/RESULTS.md,
// "where the time goes"); this draws one binomial per expert (its inversion walks about as many
// steps as the expert has tokens, with a multiply each) plus, with locality, one add per
// (request, own expert).
//
// The model, from a synthetic routing source (workload/synthetic_routing.hpp):
//  - Popularity. A token picks k distinct experts by successive sampling from the popularity p
//    (a draw, redrawn on repeats). Expert e's inclusion probability pi_e is Rosen's
//    approximation for successive sampling, 1 - exp(-t p_e) with t such that the pi_e sum to k
//    (B. Rosen, "On sampling with probability proportional to size", J. Statist. Plann.
//    Inference 62, 1997: successive sampling is order sampling with exponential order
//    distributions). Without locality expert e's count is Binomial(T, pi_e) for T tokens: the
//    token engine's exact marginal, up to the approximation of pi_e.
//  - Locality lambda. Each of a token's k choices is, with probability lambda, its request's own
//    expert of that slot. The node keeps its requests' own sets (the token engine's own draws,
//    workload's `request_set`); with H_e the micro-batch's tokens whose request's set holds e,
//    e's count is Binomial(H_e, lambda) + Binomial(T, (1 - lambda) pi_e). Its mean is the token
//    engine's up to the rare local choice that is already among the token's other draws.
//  - The per-expert draws are independent, so their total is T k only on average. As every
//    token has exactly k experts, the total is then corrected to T k: the missing pairs are
//    added to (or the extra ones taken from) experts drawn in proportion to their variance
//    pi_e (1 - pi_e), as conditioning independent normal counts on their sum would shift them.
//    Besides the exact total this gives the experts the negative covariance a fixed k per token
//    gives them (without it a node's load varied ~4 % more than the token engine's). A count is
//    at most T.
//  - Drift. Popularity blends from one permutation to the next over drift_period_tokens
//    positions; the micro-batch's mean token position stands for all its tokens (the blend in
//    steps of 1/64). A request's own sets are drawn at its position when it first routes on the
//    node and kept while it runs there.
//  - Replicas (`placement.replica_dispatch: even`): an expert's count splits uniformly over its
//    replicas, token by token, where the token engine hashes (request, expert).
// Refused (check_count_engine): trace and fitted routing (per-token recordings and per-token
// chains over layers) and the least-loaded and nearest replica choice (decided token by token).
//
// Every draw comes from a generator seeded by (seed, node, iteration, layer, micro-batch), so
// the counts do not depend on which rank simulates the node.
#include <cstdint>
#include <map>
#include <span>
#include <unordered_map>
#include <vector>

#include "mpi/token_record.hpp"
#include "workload/batch.hpp"
#include "workload/routing.hpp"

namespace sievesim {

class System;
class SyntheticRouting;
struct Experiment;

// Throw InputError (naming the key) unless the experiment can run on the count engine: its
// routing source by name before anything is built, then the assembled system.
void check_count_routing(const Experiment& cfg);
void check_count_engine(const System& sys);

// xoshiro256** (D. Blackman, S. Vigna, "Scrambled linear pseudorandom number generators", ACM
// TOMS 47, 2021): ~1 ns per 64 bits where a Philox-4x32-10 block costs ~130 instructions. A
// UniformRandomBitGenerator, seeded per (node, iteration, layer, micro-batch) by SplitMix64.
class CountRng {
 public:
  using result_type = std::uint64_t;
  explicit CountRng(std::uint64_t seed);
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()();
  double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  std::uint64_t s_[4];
};

// Binomial(n, p) by inversion from 0 (L. Devroye, "Non-Uniform Random Variate Generation",
// 1986, X.4) when the mean is small, `q0` = (1 - p)^n; the library's rejection sampler above.
std::int32_t draw_binomial(CountRng& g, std::int64_t n, double p, double q0);

class CountRouter {
 public:
  // For the nodes [first_node, first_node + nodes) of this rank.
  CountRouter(const System& sys, std::int64_t first_node, std::int64_t nodes);

  // Tokens per expert (all E, summing to ~T k) of `node`'s micro-batch `mb` in `layer`, whose
  // tokens are `slots` (a request's tokens together). Valid until the next call.
  std::span<const std::int32_t> route(std::int32_t node, std::int64_t iteration, std::int64_t layer,
                                      std::int64_t mb, std::span<const TokenSlot> slots);
  // Splits `tokens` over `replicas` copies uniformly, token by token, into `out` (one per copy).
  void split(std::int64_t tokens, std::span<std::int32_t> out);
  // log(1 - c / T): a token of T = `tokens` avoids an expert c of them chose (memoized per T).
  double log_miss(std::int32_t c, std::int64_t tokens);
  // Distinct tokens that go to one destination, which gets `pairs` (token, expert) pairs in
  // records whose log_miss sum to `log_miss`: a token goes there unless it avoids each of the
  // destination's experts, taken as independent, T (1 - prod (1 - c_e / T)) (exact for one
  // expert, the hypergeometric's value within 0.1 % for uniform popularity); every pair with
  // `system.dispatch: per-expert`.
  // The estimate is rounded at random, unbiased (continuing route()'s stream).
  std::int64_t distinct_tokens(std::int64_t pairs, double log_miss, std::int64_t tokens);

  // A dispatch's records before they are sorted by destination, their destinations, and one
  // expert's tokens per replica (one set per rank, shared by its nodes).
  struct Scratch {
    std::vector<TokenRecord> recs;
    std::vector<std::int32_t> dest, share;
    std::vector<double> miss;  // per node: the log_miss of its records in this dispatch
  } scratch;

 private:
  struct Blend {  // the popularity in effect: drift epoch and the blend towards the next, / 64
    std::uint64_t epoch = 0;
    std::uint32_t step = 0;
    bool operator<(const Blend& o) const {
      return epoch != o.epoch ? epoch < o.epoch : step < o.step;
    }
  };
  // The node's requests' own expert sets, per request [layer][k], and when each was last used.
  struct OwnSets {
    std::vector<std::int32_t> experts;
    std::int32_t batches = 0;  // micro-batch histograms that count the request
  };
  // Per (node, micro-batch): the tokens each request had in its last iteration and, per layer
  // and expert, the tokens whose request's own set holds the expert (kept up to date by the
  // changes between iterations, which in decode are the few requests that came or went).
  struct BatchHistogram {
    std::int64_t iteration = -1;
    std::unordered_map<std::uint64_t, std::int32_t> tokens;
    std::vector<std::int32_t> held;  // [layer][expert]
  };
  struct NodeState {
    std::unordered_map<std::uint64_t, OwnSets> own;
    std::vector<BatchHistogram> batches;  // per micro-batch
  };
  // (1 - lambda) pi_e of `layer` under `blend`, and the cumulative variances pi_e (1 - pi_e)
  // the total's correction draws from (cached).
  struct Popularity {
    std::vector<double> p;
    CdfTable variance;
  };
  const Popularity& popularity(std::int64_t layer, const Blend& blend);
  // Moves the counts' total to T k (see the header).
  void fix_total(const Popularity& pop, std::int64_t tokens);
  // (1 - p_e)^tokens for that popularity (cached per token count).
  const std::vector<double>& zero_chance(std::int64_t layer, const Blend& blend,
                                         std::int64_t tokens);
  OwnSets& own_sets(NodeState& n, std::uint64_t request, std::uint32_t position);
  // Brings the micro-batch's histogram to `slots` (once per iteration).
  void update_held(NodeState& n, BatchHistogram& h, std::int64_t iteration,
                   std::span<const TokenSlot> slots);
  Blend blend_of(std::span<const TokenSlot> slots) const;

  const System& sys_;
  const SyntheticRouting& source_;
  std::uint64_t seed_;
  std::int64_t experts_, k_, layers_, first_node_;
  double locality_;
  std::uint32_t drift_period_;
  std::vector<NodeState> nodes_;
  std::map<std::pair<std::int64_t, Blend>, Popularity> popularity_;
  std::map<std::tuple<std::int64_t, Blend, std::int64_t>, std::vector<double>> zero_chance_;
  std::vector<std::int32_t> counts_;
  std::vector<double> keep_pow_;                                    // (1 - lambda)^h
  std::unordered_map<std::int64_t, std::vector<double>> log_miss_;  // by T, per c (NaN: unset)
  CountRng rng_{0};  // reseeded by route(); split() continues its stream
};

}  // namespace sievesim
