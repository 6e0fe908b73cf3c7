#include "sched/token_split.hpp"

#include <algorithm>

#include "base/error.hpp"

namespace sievesim {
namespace {

// Smallest objective over x in [lo, hi] of max(rising(x), falling(x)) with rising non-decreasing
// and falling non-increasing in x: the crossing, found by bisection.
template <class Eval>
std::pair<sim_time_t, std::int32_t> best_split(std::int32_t lo, std::int32_t hi, Eval eval) {
  std::pair<sim_time_t, std::int32_t> best{eval(lo).first, lo};
  while (lo <= hi) {
    const std::int32_t mid = lo + (hi - lo) / 2;
    const auto [value, rising_wins] = eval(mid);
    if (value < best.first) best = {value, mid};
    if (rising_wins)
      hi = mid - 1;
    else
      lo = mid + 1;
  }
  return best;
}

}  // namespace

TokenSplit refine_token_split(const SchedulerInput& in, ExpertSplit& s,
                              const std::function<sim_time_t(std::size_t, std::int32_t)>& pim_cost,
                              const std::function<sim_time_t(sim_time_t, sim_time_t)>& objective) {
  const std::size_t n = in.experts.size();
  std::vector<std::int32_t> gpu_tok(n, 0);
  for (auto i : s.gpu)
    gpu_tok[static_cast<std::size_t>(i)] = in.experts[static_cast<std::size_t>(i)].tokens;
  const auto gpu_time = [&](std::span<const std::int32_t> tokens) {
    std::vector<std::int32_t> nz;
    for (auto t : tokens)
      if (t > 0) nz.push_back(t);
    return in.gpu.grouped_gemm_ps(nz, in.shape, in.activation_dtype);
  };
  sim_time_t t_pim = 0;
  for (auto i : s.pim)
    t_pim += pim_cost(static_cast<std::size_t>(i), in.experts[static_cast<std::size_t>(i)].tokens);
  sim_time_t best = objective(gpu_time(gpu_tok), t_pim);
  std::int32_t best_expert = -1, best_gpu_tokens = 0;
  // Expert e keeps x of its tokens (x = 1 .. tokens - 1) on the GPU and runs the rest on the PIM,
  // the others as split: the GPU side rises with x, the PIM side falls. `pim_others` is the PIM
  // time of the other PIM experts.
  const auto consider = [&](std::size_t e, sim_time_t pim_others) {
    const std::int32_t tok = in.experts[e].tokens;
    if (tok < 2) return;
    auto g = gpu_tok;
    const auto r = best_split(1, tok - 1, [&](std::int32_t x) {
      g[e] = x;
      const sim_time_t tg = gpu_time(g), tp = pim_others + pim_cost(e, tok - x);
      return std::pair{objective(tg, tp), tg >= tp};
    });
    if (r.first < best)
      best = r.first, best_expert = static_cast<std::int32_t>(e), best_gpu_tokens = r.second;
  };
  // The hottest PIM expert sends some tokens to the GPU; the coldest GPU expert some to the PIM.
  if (!s.pim.empty()) {
    const auto h = static_cast<std::size_t>(s.pim.front());
    consider(h, t_pim - pim_cost(h, in.experts[h].tokens));
  }
  if (!s.gpu.empty()) consider(static_cast<std::size_t>(s.gpu.back()), t_pim);
  if (best_expert < 0) return {};
  gpu_tok[static_cast<std::size_t>(best_expert)] = best_gpu_tokens;
  // The split expert is on both lists: last on the GPU's, first (hottest) on the PIM's.
  if (std::find(s.gpu.begin(), s.gpu.end(), best_expert) == s.gpu.end())
    s.gpu.push_back(best_expert);
  if (std::find(s.pim.begin(), s.pim.end(), best_expert) == s.pim.end())
    s.pim.insert(s.pim.begin(), best_expert);
  return TokenSplit{std::move(gpu_tok)};
}

sim_time_t run_token_split(const Execution& e, const TokenSplit& t, NodeDevices& devices,
                           ExpertScheduler& feedback) {
  const auto& in = e.in;
  sim_time_t gpu_end = 0, ready = e.barrier_ps;
  std::vector<std::int32_t> tokens;
  std::int64_t on_gpu = 0, on_pim = 0;
  for (auto i : e.split.gpu) {
    const auto u = static_cast<std::size_t>(i);
    ready = std::max(ready, in.experts[u].ready_ps);
    tokens.push_back(t.gpu_tokens[u]);
    on_gpu += t.gpu_tokens[u];
  }
  if (!tokens.empty()) {
    gpu_end =
        devices.gpu_kernel(ready, in.gpu.grouped_gemm_ps(tokens, in.shape, in.activation_dtype));
    devices.spend(in.gpu.grouped_gemm_energy(tokens, GemmShape::of(in.shape), in.activation_dtype));
  }
  for (auto i : e.split.gpu) e.done[static_cast<std::size_t>(i)] = gpu_end;
  sim_time_t clock = std::max(devices.pim_ready(), e.pim_barrier_ps), busy = 0;
  EnergyUse pim_energy;
  for (auto i : e.split.pim) {
    const auto u = static_cast<std::size_t>(i);
    const std::int32_t rest = in.experts[u].tokens - t.gpu_tokens[u];
    if (rest <= 0) throw SimulationError("token split put an expert with no PIM tokens on the PIM");
    const sim_time_t start = std::max(clock, in.experts[u].ready_ps);
    const PimCost c = in.pim.expert(in.shape, rest, 0, start);
    const sim_time_t dur = c.time_ps;
    pim_energy.pim_pj += c.energy_pj;
    busy += dur;
    clock = devices.pim_work(start, dur);
    e.done[u] = std::max(e.done[u], clock);
    feedback.observe_pim(rest, dur);
    on_pim += rest;
  }
  std::int64_t all = 0;
  for (const auto& l : in.experts) all += l.tokens;
  if (on_gpu + on_pim != all) throw SimulationError("token split lost or doubled tokens");
  devices.pim_finished(clock, busy);
  devices.spend(pim_energy);
  devices.count(false, static_cast<std::int64_t>(e.split.gpu.size()), on_gpu);
  devices.count(true, static_cast<std::int64_t>(e.split.pim.size()), on_pim);
  return std::max(gpu_end, clock);
}

}  // namespace sievesim
