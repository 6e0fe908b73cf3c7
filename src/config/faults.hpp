#pragma once
// The `faults:` section: simulated node failures (and rejoins) and stragglers. Faults are part of
// the configuration, so a run with faults is still a function of the configuration and seed: a
// failed simulated node stays hosted by its rank and takes part in every exchange, with nothing
// to send.
#include <cstdint>
#include <vector>

#include "base/params.hpp"
#include "base/time.hpp"

namespace sievesim {

// One node's failure: at the first iteration boundary at or after `at_iteration` (or at the
// first boundary whose time is at least `at_ps`), and its rejoin likewise (-1: never).
struct NodeFailure {
  std::int32_t node = 0;
  std::int64_t at_iteration = -1, rejoin_iteration = -1;
  sim_time_t at_ps = -1, rejoin_ps = -1;
};

enum class LostRequests {
  kRequeue,  // back to the front end, restarted from their prompt on a survivor
  kDrop,     // counted as dropped (a closed-loop client sends its next request)
};

struct FaultConfig {
  bool enabled = false;  // the section is present
  std::vector<NodeFailure> failures;
  LostRequests on_failure = LostRequests::kRequeue;
  bool replace_experts = true;  // re-place the experts that lost their last copy on survivors
  // Pauses of the whole cluster (EEP, "Surviving Partial Rank Failures in Wide Expert-Parallel
  // MoE Inference": ~11 s from the failure to serving again, ~8 s to take a node back).
  sim_time_t detection_ps = 0, recovery_pause_ps = 0, reintegration_pause_ps = 0;
  // Where a lost expert's weights come from when no survivor holds a copy: host memory over
  // PCIe 5 x16 (reference/hardware.md: 64 GB/s per direction).
  double reload_Bps = 64e9;
  // Stragglers: per-node factors every GPU / PIM time of the node is multiplied by (empty: 1),
  // times a lognormal factor drawn per (node, iteration) with the given sigma (0: none).
  std::vector<double> gpu_slowdown, pim_slowdown;
  double gpu_jitter_sigma = 0, pim_jitter_sigma = 0;
  // Schedulers and the sieve placement are told each node's (expected) speed.
  bool speed_aware = false;

  bool stragglers() const {
    return !gpu_slowdown.empty() || !pim_slowdown.empty() || gpu_jitter_sigma > 0 ||
           pim_jitter_sigma > 0;
  }
  // The configured (mean) factor of `node`.
  double gpu_factor(std::int64_t node) const { return at(gpu_slowdown, node); }
  double pim_factor(std::int64_t node) const { return at(pim_slowdown, node); }

 private:
  static double at(const std::vector<double>& v, std::int64_t node) {
    return v.empty() ? 1.0 : v[static_cast<std::size_t>(node)];
  }
};

// Reads `faults:` (`nodes`: the cluster's size, to check node ids). Throws InputError.
FaultConfig read_faults(const Params& f, std::int64_t nodes);

}  // namespace sievesim
