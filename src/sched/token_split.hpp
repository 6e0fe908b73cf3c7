#pragma once
// Token-level splitting of one expert at the GPU/PIM boundary (issue 16): after a whole-expert
// split, the expert on either side of the boundary may leave part of its tokens on the other
// device (its weights sit in the same HBM stacks for both), when that lowers the layer's
// objective. A split expert is in both the GPU and the PIM list of the ExpertSplit; the token
// counts of its two parts are in TokenSplit.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "sched/scheduler.hpp"

namespace sievesim {

struct TokenSplit {
  // Per expert of SchedulerInput::experts: tokens run on the GPU (all of them for a GPU expert,
  // none for a PIM expert, part for the split one). Empty: no split, the whole-expert strategy.
  std::vector<std::int32_t> gpu_tokens;
};

// Refines `s` (from popular_to_gpu: gpu hottest first, pim hottest first) by moving part of the
// tokens of the hottest PIM expert to the GPU, or of the coldest GPU expert to the PIM, whichever
// lowers objective(T_gpu, T_pim) most (binary search for the crossing of the rising and falling
// side: O(log tokens) cost evaluations). `pim_cost(i, tokens)` estimates expert i on the PIM.
// Leaves `s` whole and returns an empty TokenSplit when no split helps.
TokenSplit refine_token_split(const SchedulerInput& in, ExpertSplit& s,
                              const std::function<sim_time_t(std::size_t, std::int32_t)>& pim_cost,
                              const std::function<sim_time_t(sim_time_t, sim_time_t)>& objective);

// Runs a split whose experts may be split by tokens: the GPU list as one grouped GEMM over its
// GPU tokens, the PIM list in order over the rest; an expert is done when both parts are. Every
// token is counted once, on the device that ran it.
sim_time_t run_token_split(const Execution& e, const TokenSplit& t, NodeDevices& devices,
                           ExpertScheduler& feedback);

}  // namespace sievesim
