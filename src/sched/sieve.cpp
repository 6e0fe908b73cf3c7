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
#include <algorithm>

#include "sched/pim_cost_table.hpp"
#include "sched/scheduler.hpp"

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
                   .dflt(0.25)) {}

  ExpertSplit split(const SchedulerInput& in) override {
    std::vector<sim_time_t> pim_cost(in.experts.size());
    for (std::size_t i = 0; i < in.experts.size(); ++i) {
      const auto tokens = in.experts[i].tokens;
      pim_cost[i] = table_.estimate(tokens, in.pim.roofline_expert_ps(in.shape, tokens));
    }
    ExpertSplit s = popular_to_gpu(in, pim_cost, [&](sim_time_t gpu_ps, sim_time_t pim_ps) {
      return std::max({in.comm_ps, gpu_ps, pim_ps + in.attention_pim_ps});
    });
    s.decision_ps = decision_ps(in.gpu.launch_ps(), static_cast<std::int64_t>(in.experts.size()));
    s.decision_blocks_gpu = blocking_;
    // The greedy only ever moves the hottest remaining expert to the GPU, so the coldest are the
    // surest to stay on the PIM: run them first, starting while the GPU still decides where the
    // boundary falls (the decision needs the counts; the cold end of the queue does not need the
    // decision).
    std::reverse(s.pim.begin(), s.pim.end());
    s.pim_before_decision = true;
    return s;
  }

  void observe_pim(std::int32_t tokens, sim_time_t measured_ps) override {
    table_.observe(tokens, measured_ps);
  }

 private:
  sim_time_t decision_ps(sim_time_t launch_ps, std::int64_t experts) const {
    if (decision_ref_ps_ == 0 || experts == 0) return 0;
    const sim_time_t launch = std::min(launch_ps, decision_ref_ps_);
    return launch + (decision_ref_ps_ - launch) * experts / ref_experts_;
  }

  sim_time_t decision_ref_ps_;
  std::int64_t ref_experts_;
  bool blocking_;
  PimCostTable table_;
};

}  // namespace

SIEVESIM_REGISTER(SchedulerRegistry, "sieve",
                  "greedy GPU/PIM split minimising max(comm, GPU, PIM + attention), EMA PIM table, "
                  "decision on a side stream",
                  [](const Params& p) { return std::make_unique<SieveScheduler>(p); })

}  // namespace sievesim
