// Sieve (arXiv 2605.11277): start with every active expert on PIM; take experts in descending
// token count and move each to the GPU while max(T_comm, T_gpu(G), T_pim(P) + T_attn_pim)
// falls; stop at the first move that does not improve. PIM costs come from the measured-cost
// table.
//
// The decision is a GPU kernel. In the paper's runtime it runs on a side stream once the token
// counts are all-gathered, in parallel with the token dispatch; only the routed grouped GEMM
// needs its answer (shared experts and the PIM's cold end start without it). Its cost: the
// paper reports about 20 us on a B200 "even for a DeepSeek-R1-sized layer" with an unoptimized
// kernel. The kernel is a sort of the active experts by count and a linear scan that evaluates
// the objective once per move; a one-block sort of <= 1024 keys takes O(log^2 n) parallel steps,
// while the scan is serial, one dependent step (GPU roofline, table lookup, compare) per expert.
// So the cost is a launch plus a per-expert step: launch + (decision_us - launch) * n / n_ref,
// with n_ref = 256, DeepSeek-R1's routed experts per layer (all active at large batch). On a
// B200 that is about (20 - 1) / 256 = 74 ns per expert, some 140 cycles at 1.9 GHz: one
// dependent global-memory round trip per step, as an unoptimized serial scan would take.
// `decision_stream: blocking` keeps the earlier behaviour (the compute stream waits).
//
// Two variants beyond the paper (issue 16), off by default:
// - `split: token`: after the greedy, the expert at the boundary may run part of its tokens on
//   the other device (sched/token_split.hpp), for a finer balance than whole experts.
// - `decide: ahead`: the split is computed before the counts are known, from this layer's counts
//   in the previous iteration (an expert not seen then predicted at one token, i.e. cold), so the
//   decision kernel leaves the critical path; once the counts are in, a repair continues the
//   greedy from the predicted split with the real counts, at most `repair_moves` moves, each a
//   step of the decision kernel. Every active expert is placed whatever the prediction.
// - `objective: energy` (issue 20): the greedy minimizes the layer's joules instead of its time:
//   the node's static power over the layer time the time objective predicts, plus each expert's
//   dynamic energy where it runs (its PIM command energy, or its GPU grouped-GEMM FLOPs and HBM
//   bytes, priced per expert: a set's energy is taken as the sum of its experts'). W x ps = pJ,
//   so both terms are picojoules and no weight between time and energy is chosen.
#include <algorithm>
#include <cmath>

#include "sched/pim_cost_table.hpp"
#include "sched/scheduler.hpp"
#include "sched/token_split.hpp"

namespace sievesim {
namespace {

class SieveScheduler final : public ExpertScheduler {
 public:
  explicit SieveScheduler(const Params& p)
      : ExpertScheduler(true, true),
        decision_ref_ps_(us_to_ps(p.param<double>("decision_us")
                                      .min(0)
                                      .max(1e6)
                                      .desc("GPU time of one decision over "
                                            "decision_reference_experts active experts, us "
                                            "(the paper: ~20 us on a B200)")
                                      .dflt(20.0))),
        ref_experts_(
            p.param<std::int64_t>("decision_reference_experts")
                .min(1)
                .max(1 << 20)
                .desc("active experts decision_us refers to; the cost scales linearly with the "
                      "active count past the launch (256: DeepSeek-R1's routed experts)")
                .dflt(256)),
        blocking_(
            p.param<std::string>("decision_stream")
                .one_of({"side", "blocking"})
                .desc("side: the decision kernel runs on a side stream beside the dispatch and "
                      "shared experts (the paper's runtime); blocking: the compute stream waits")
                .dflt("side") == "blocking"),
        table_(p.param<double>("ema_alpha")
                   .above(0)
                   .max(1)
                   .desc("weight of the newest measurement in the PIM cost table's moving average")
                   .dflt(0.25)),
        token_split_(p.param<std::string>("split")
                         .one_of({"expert", "token"})
                         .desc("expert: whole experts on either device (the paper); token: the "
                               "expert at the boundary may split its tokens between GPU and PIM")
                         .dflt("expert") == "token"),
        ahead_(p.param<std::string>("decide")
                   .one_of({"on-counts", "ahead"})
                   .desc("on-counts: decide once the token counts are known (the paper); ahead: "
                         "from the previous iteration's counts, repaired with the real ones")
                   .dflt("on-counts") == "ahead"),
        repair_moves_(p.param<std::int64_t>("repair_moves")
                          .min(0)
                          .max(1 << 20)
                          .desc("decide: ahead: greedy moves the repair may make with the real "
                                "counts")
                          .dflt(8)),
        energy_(p.param<std::string>("objective")
                    .one_of({"time", "energy"})
                    .desc("time: the layer time max(T_comm, T_gpu, T_pim + T_attn) (the paper); "
                          "energy: the layer's joules (static power over that time plus the "
                          "experts' dynamic energy where they run)")
                    .dflt("time") == "energy") {
    if (energy_ && (token_split_ || ahead_))
      p.fail("objective", "objective: energy needs split: expert and decide: on-counts");
  }

  void setup(const SchedulerSetup& s) override {
    if (ahead_)
      last_.assign(static_cast<std::size_t>(s.model.num_layers),
                   std::vector<std::int32_t>(static_cast<std::size_t>(s.model.routed_experts), 0));
  }

  ExpertSplit split(const SchedulerInput& in) override {
    std::vector<sim_time_t> pim_cost(in.experts.size());
    for (std::size_t i = 0; i < in.experts.size(); ++i) {
      const auto tokens = in.experts[i].tokens;
      pim_cost[i] = table_.estimate(tokens, in.pim.roofline_expert_ps(in.shape, tokens));
    }
    const auto objective = [&](sim_time_t gpu_ps, sim_time_t pim_ps) {
      return std::max({in.comm_ps, gpu_ps, pim_ps + in.attention_pim_ps});
    };
    ExpertSplit s;
    if (ahead_) {
      s = decide_ahead(in, pim_cost, objective);
    } else if (energy_) {
      s = lowest_energy(in, pim_cost, objective);
      s.decision_ps = decision_ps(in.gpu.launch_ps(), static_cast<std::int64_t>(in.experts.size()));
    } else {
      s = popular_to_gpu(in, pim_cost, objective);
      s.decision_ps = decision_ps(in.gpu.launch_ps(), static_cast<std::int64_t>(in.experts.size()));
    }
    token_.gpu_tokens.clear();
    if (token_split_)
      token_ = refine_token_split(
          in, s,
          [&](std::size_t i, std::int32_t tokens) {
            return tokens == in.experts[i].tokens
                       ? pim_cost[i]
                       : table_.estimate(tokens, in.pim.roofline_expert_ps(in.shape, tokens));
          },
          objective);
    s.decision_blocks_gpu = blocking_;
    // The greedy only ever moves the hottest remaining expert to the GPU, so the coldest are the
    // surest to stay on the PIM: run them first, starting while the GPU still decides where the
    // boundary falls (the decision needs the counts; the cold end of the queue does not need the
    // decision).
    std::reverse(s.pim.begin(), s.pim.end());
    s.pim_before_decision = true;
    return s;
  }

  // The greedy on joules: static_W x layer time (pJ) plus, per expert moved to the GPU, its GPU
  // energy less its PIM energy.
  template <class Objective>
  static ExpertSplit lowest_energy(const SchedulerInput& in, std::span<const sim_time_t> pim_cost,
                                   const Objective& time) {
    const double static_W = in.gpu.energy().idle_W();
    std::vector<std::int64_t> move(in.experts.size());
    for (std::size_t i = 0; i < in.experts.size(); ++i) {
      const std::int32_t t[] = {in.experts[i].tokens};
      const double gpu_pj =
          in.gpu.grouped_gemm_energy(t, GemmShape::of(in.shape), in.activation_dtype).total_pj();
      const double pim_pj = in.pim.expert(in.shape, t[0]).energy_pj;
      move[i] = std::llround(gpu_pj - pim_pj);
    }
    return popular_to_gpu(
        in, pim_cost,
        [&](sim_time_t gpu_ps, sim_time_t pim_ps) {
          return static_cast<sim_time_t>(
              std::llround(static_W * static_cast<double>(time(gpu_ps, pim_ps))));
        },
        move);
  }

  void observe_pim(std::int32_t tokens, sim_time_t measured_ps) override {
    table_.observe(tokens, measured_ps);
  }

  sim_time_t execute(const Execution& e, NodeDevices& devices) override {
    if (token_.gpu_tokens.empty()) return ExpertScheduler::execute(e, devices);
    return run_token_split(e, token_, devices, *this);
  }

 private:
  // The greedy over predicted counts (the previous iteration's, one token for an expert not seen
  // then), then up to repair_moves further moves of the hottest remaining PIM expert with the
  // real counts while the real objective falls. Only the repair is on the critical path: a launch
  // and one decision step per move considered.
  ExpertSplit decide_ahead(const SchedulerInput& in, std::span<const sim_time_t> pim_cost,
                           const std::function<sim_time_t(sim_time_t, sim_time_t)>& objective) {
    auto& last = last_[static_cast<std::size_t>(in.layer)];
    std::vector<ExpertLoad> predicted(in.experts.begin(), in.experts.end());
    std::vector<sim_time_t> predicted_cost(in.experts.size());
    for (std::size_t i = 0; i < predicted.size(); ++i) {
      predicted[i].tokens =
          std::max<std::int32_t>(1, last[static_cast<std::size_t>(predicted[i].expert)]);
      predicted_cost[i] = table_.estimate(predicted[i].tokens,
                                          in.pim.roofline_expert_ps(in.shape, predicted[i].tokens));
    }
    SchedulerInput guess = in;
    guess.experts = predicted;
    ExpertSplit s = popular_to_gpu(guess, predicted_cost, objective);
    for (auto& t : last) t = 0;
    for (const auto& l : in.experts) last[static_cast<std::size_t>(l.expert)] = l.tokens;
    // Repair: the PIM list hottest (real counts) first.
    std::stable_sort(s.pim.begin(), s.pim.end(), [&](std::int32_t a, std::int32_t b) {
      return in.experts[static_cast<std::size_t>(a)].tokens >
             in.experts[static_cast<std::size_t>(b)].tokens;
    });
    sim_time_t t_pim = 0;
    for (auto i : s.pim) t_pim += pim_cost[static_cast<std::size_t>(i)];
    sim_time_t best = objective(gpu_set_ps(in, s.gpu), t_pim);
    std::int64_t steps = 1;
    for (std::int64_t m = 0; m < repair_moves_ && !s.pim.empty(); ++m, ++steps) {
      const std::int32_t h = s.pim.front();
      s.gpu.push_back(h);
      const sim_time_t t_next = t_pim - pim_cost[static_cast<std::size_t>(h)];
      const sim_time_t cand = objective(gpu_set_ps(in, s.gpu), t_next);
      if (cand >= best) {
        s.gpu.pop_back();
        break;
      }
      best = cand;
      t_pim = t_next;
      s.pim.erase(s.pim.begin());
    }
    // The GPU list hottest first (refine_token_split's convention).
    std::stable_sort(s.gpu.begin(), s.gpu.end(), [&](std::int32_t a, std::int32_t b) {
      return in.experts[static_cast<std::size_t>(a)].tokens >
             in.experts[static_cast<std::size_t>(b)].tokens;
    });
    s.decision_ps = decision_ps(in.gpu.launch_ps(), steps);
    return s;
  }

  sim_time_t decision_ps(sim_time_t launch_ps, std::int64_t experts) const {
    if (decision_ref_ps_ == 0 || experts == 0) return 0;
    const sim_time_t launch = std::min(launch_ps, decision_ref_ps_);
    return launch + (decision_ref_ps_ - launch) * experts / ref_experts_;
  }

  sim_time_t decision_ref_ps_;
  std::int64_t ref_experts_;
  bool blocking_;
  PimCostTable table_;
  bool token_split_, ahead_;
  std::int64_t repair_moves_;
  bool energy_;                                  // objective: energy
  TokenSplit token_;                             // the last split's token parts (split: token)
  std::vector<std::vector<std::int32_t>> last_;  // decide: ahead: per layer, expert -> tokens
};

}  // namespace

SIEVESIM_REGISTER(SchedulerRegistry, "sieve",
                  "greedy GPU/PIM split minimising max(comm, GPU, PIM + attention), EMA PIM table, "
                  "decision on a side stream",
                  [](const Params& p) { return std::make_unique<SieveScheduler>(p); })

}  // namespace sievesim
