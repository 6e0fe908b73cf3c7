#pragma once
// What `sievesim report` reads from each run (headline figures, per-phase and per-layer
// breakdowns) and the tables it prints for several runs: a scheduler comparison and a sweep
// (Pareto front per scheduler, ratios of the baseline over the others).
#include <hdf5.h>

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace sievesim {

// The /summary attributes exported to CSV, in column order (integers and doubles).
extern const std::vector<const char*> kSummaryIntKeys;
extern const std::vector<const char*> kSummaryDoubleKeys;

struct RunRow {
  std::string file, run, model, scheduler, sweep_key, sweep_value;
  // The name a run goes by in merged tables: its scheduler, unless two merged runs share
  // scheduler and sweep value (then "<file stem>:<scheduler>").
  std::string label;
  double throughput = 0, interactivity = 0, tpot_us = 0;
  double ttft_p50_ms = 0, tpot_p50_ms = 0;  // negative: nothing measured
  std::int64_t finished = 0, requests = 0, nodes = 0;
  // From /placement: rebalances after the initial placement, weights moved, time they took.
  std::int64_t rebalances = 0, bytes_moved = 0, migration_ps = 0;
  // From /layers (read_breakdown): per (iteration, layer), the busiest node's compute time (its
  // GPU or PIM, whichever was busier) over the mean node's, weighted by time; 0 without /layers.
  double node_time_imbalance = 0;
  double node_token_imbalance = 0;  // the same for the (token, expert) pairs a node processed
  std::map<std::string, std::int64_t> ints;  // every kSummaryIntKeys entry
  std::map<std::string, double> doubles;     // every kSummaryDoubleKeys entry
};

// Means per node-layer of a run's /layers table: the critical-path phases and the split.
struct Breakdown {
  struct Split {
    double samples = 0, gpu_busy_ps = 0, pim_busy_ps = 0, sched_ps = 0, experts_gpu = 0,
           experts_pim = 0, tokens_gpu = 0, tokens_pim = 0, bytes_sent = 0;
  };
  double phase_ps[4] = {0, 0, 0, 0};  // attention+router, dispatch, experts, combine
  double layer_ps = 0;
  double time_imbalance = 0, token_imbalance = 0;  // see RunRow::node_time_imbalance
  Split all;                                       // over every node-layer
  std::vector<Split> layers;                       // per layer index
};

// printf of one number into a string.
std::string fmt(const char* format, double v);

// The headline figures of the run stored in group `run` (the file root or one of /runs/*).
RunRow read_run_row(hid_t file, hid_t run, const std::string& path, const std::string& name,
                    const std::string& scheduler);
// Empty `layers` when the run has no /layers (output.layers: false).
Breakdown read_breakdown(hid_t run);

// The placement table (imbalance, rebalances, bytes and time migrated) of `rows`.
void print_placement(const std::vector<RunRow>& rows, std::ostream& out);
void print_comparison(const std::vector<RunRow>& rows, const std::string& baseline,
                      std::ostream& out);
void print_sweep(const std::vector<RunRow>& rows, const std::string& key,
                 const std::string& baseline, std::ostream& out);

}  // namespace sievesim
