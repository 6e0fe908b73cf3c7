// Oracle: the GPU/PIM split that minimizes Sieve's objective max(T_comm, T_gpu(G), T_pim(P) +
// T_attention_on_pim) exactly, with the PIM model's own costs (what a perfect table would hold).
// A bound, not a system: it shows how far each heuristic is from the best split.
//
// Experts with the same token count are interchangeable, so a split is a count x_v of experts
// moved to the GPU for every distinct token count v. The grouped GEMM's cost depends only on
// (experts, tokens, padded tokens) and the PIM time is additive, so a dynamic program over the
// distinct counts with states (experts k, tokens T) keeping the Pareto front of (PIM time
// removed: more is better, padded tokens: fewer is better) finds the optimum exactly.
#include <algorithm>
#include <map>
#include <numeric>

#include "base/error.hpp"
#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

class OracleScheduler final : public ExpertScheduler {
 public:
  explicit OracleScheduler(const Params& p)
      : ExpertScheduler(true, true),
        max_states_(p.param<std::int64_t>("max_states")
                        .min(1000)
                        .max(std::int64_t{1} << 34)
                        .desc("dynamic-program states one decision may visit before the oracle "
                              "gives up with an error (bounds memory and time)")
                        .dflt(50'000'000)) {}

  ExpertSplit split(const SchedulerInput& in) override {
    // Distinct token counts, with the experts holding each.
    std::map<std::int32_t, std::vector<std::int32_t>, std::greater<>> by_count;
    sim_time_t pim_total = 0;
    for (std::size_t i = 0; i < in.experts.size(); ++i) {
      by_count[in.experts[i].tokens].push_back(static_cast<std::int32_t>(i));
      pim_total += in.pim.expert_ps(in.shape, in.experts[i].tokens);
    }
    struct State {
      std::int32_t k;
      std::int64_t tokens, padded;
      sim_time_t removed;  // PIM time of the experts moved to the GPU
      std::int32_t parent, take;
    };
    std::vector<std::vector<State>> stages(1, std::vector<State>{State{0, 0, 0, 0, -1, 0}});
    std::vector<std::int32_t> values;
    std::int64_t total_tokens = 0, work = 0;
    for (const auto& l : in.experts) total_tokens += l.tokens;
    const auto n = static_cast<std::int64_t>(in.experts.size());
    // Dense (k, tokens) grid: the head of each cell's Pareto list, reset per stage.
    const std::size_t cells = static_cast<std::size_t>((n + 1) * (total_tokens + 1));
    std::vector<std::int32_t> head(cells, -1);
    std::vector<std::int32_t> link;  // next point of the same cell
    std::vector<bool> alive;
    for (const auto& [v, experts] : by_count) {
      values.push_back(v);
      const sim_time_t c = in.pim.expert_ps(in.shape, v);
      const std::int64_t pad = in.gpu.padded_tokens(v);
      const auto& prev = stages.back();
      std::vector<State> next;
      link.clear();
      alive.clear();
      std::vector<std::size_t> touched;
      for (std::size_t s = 0; s < prev.size(); ++s) {
        for (std::int32_t x = 0; x <= static_cast<std::int32_t>(experts.size()); ++x) {
          const State cand{prev[s].k + x,
                           prev[s].tokens + std::int64_t{x} * v,
                           prev[s].padded + x * pad,
                           prev[s].removed + x * c,
                           static_cast<std::int32_t>(s),
                           x};
          const auto cell = static_cast<std::size_t>(cand.k * (total_tokens + 1) + cand.tokens);
          bool dominated = false;
          for (std::int32_t j = head[cell]; j >= 0 && !dominated;
               j = link[static_cast<std::size_t>(j)]) {
            const State& o = next[static_cast<std::size_t>(j)];
            if (!alive[static_cast<std::size_t>(j)]) continue;
            dominated = o.removed >= cand.removed && o.padded <= cand.padded;
          }
          if (dominated) continue;
          for (std::int32_t j = head[cell]; j >= 0; j = link[static_cast<std::size_t>(j)]) {
            const State& o = next[static_cast<std::size_t>(j)];
            if (cand.removed >= o.removed && cand.padded <= o.padded)
              alive[static_cast<std::size_t>(j)] = false;
          }
          if (head[cell] < 0) touched.push_back(cell);
          link.push_back(head[cell]);
          alive.push_back(true);
          head[cell] = static_cast<std::int32_t>(next.size());
          next.push_back(cand);
        }
      }
      work += static_cast<std::int64_t>(next.size());
      if (work > max_states_)
        throw SimulationError("oracle: more than scheduler.oracle.max_states (" +
                              std::to_string(max_states_) +
                              ") search states in one layer; raise it or use a smaller batch");
      std::vector<State> kept;
      kept.reserve(next.size());
      for (std::size_t j = 0; j < next.size(); ++j)
        if (alive[j]) kept.push_back(next[j]);
      for (auto cell : touched) head[cell] = -1;
      stages.push_back(std::move(kept));
    }
    // Evaluate every final state and keep the best (ties: fewer GPU experts, fewer tokens).
    const GemmShape shape = GemmShape::of(in.shape);
    const auto& last = stages.back();
    std::size_t best = 0;
    sim_time_t best_obj = kTimeNever;
    for (std::size_t s = 0; s < last.size(); ++s) {
      const State& st = last[s];
      const sim_time_t gpu =
          st.k == 0
              ? 0
              : in.gpu.grouped_gemm_sums(st.k, st.tokens, st.padded, shape, in.activation_dtype)
                    .time_ps;
      const sim_time_t obj =
          std::max({in.comm_ps, gpu, pim_total - st.removed + in.attention_pim_ps});
      if (obj < best_obj || (obj == best_obj && std::tie(st.k, st.tokens) <
                                                    std::tie(last[best].k, last[best].tokens))) {
        best_obj = obj;
        best = s;
      }
    }
    // Walk back: how many experts of each count go to the GPU (the lowest indices of each).
    std::vector<bool> on_gpu(in.experts.size(), false);
    std::size_t s = best;
    for (std::size_t stage = stages.size() - 1; stage > 0; --stage) {
      const State& st = stages[stage][s];
      const auto& experts = by_count[values[stage - 1]];
      for (std::int32_t x = 0; x < st.take; ++x)
        on_gpu[static_cast<std::size_t>(experts[x])] = true;
      s = static_cast<std::size_t>(st.parent);
    }
    ExpertSplit out;
    for (std::size_t i = 0; i < in.experts.size(); ++i)
      (on_gpu[i] ? out.gpu : out.pim).push_back(static_cast<std::int32_t>(i));
    return out;
  }

 private:
  std::int64_t max_states_;
};

}  // namespace

SIEVESIM_REGISTER(SchedulerRegistry, "oracle",
                  "exact minimum of Sieve's objective with the PIM model's own costs (a bound)",
                  [](const Params& p) { return std::make_unique<OracleScheduler>(p); })

}  // namespace sievesim
