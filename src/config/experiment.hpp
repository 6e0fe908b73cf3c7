#pragma once
// The experiment's settings: read and checked from the YAML file (+ -p overrides) before any
// component exists. Plain values only. Each component's own section is kept as a checked reader
// (`Sections`) for the assembly step (engine/system.hpp), which builds the component once from it
// and then closes the configuration: unknown keys are rejected and the resolved YAML recorded.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/params.hpp"
#include "config/faults.hpp"
#include "config/sweep.hpp"
#include "workload/batch.hpp"

namespace sievesim {

struct WorkloadConfig {
  BatchConfig batching;  // kv_capacity_bytes: filled by the assembly (the smallest over nodes)
  double hbm_utilization = 0.9;
  std::int64_t warmup_iterations = 0;
  std::int64_t max_iterations = 0;  // 0: until every request has finished
  std::uint64_t seed = 1;
};

struct RebalanceConfig {
  std::int64_t every_iterations = 0;  // 0: the initial placement stays
  bool background = false;            // weights move while serving (else the cluster stalls)
  double background_share = 0.25;     // of the link bandwidth, in the background
};

// The sections components read themselves. Readers share one resolved tree, so each section
// is created once here and handed to the one component that reads it.
struct Sections {
  Params root, system, model, workload, requests, batching, routing, scheduler, placement;
};

struct Experiment {
  std::string file;                    // the YAML path as given
  std::vector<std::string> overrides;  // the -p overrides applied (to read the same again)
  std::string base_dir;                // relative file names in the experiment are relative to this
  std::int64_t nodes = 0;
  std::int64_t gpus_per_server = 0;
  // Dispatch sends a token once per destination node (de-duplicated, "normal" all-to-all
  // kernels) or once per selected expert (low-latency decode kernels); combine mirrors it.
  bool dispatch_per_expert = false;
  // 2: each node's batch runs as two micro-batches (halves by request) pipelined layer by layer.
  std::int64_t micro_batches = 1;
  // `engine: counts`: per-expert token counts instead of each token's experts
  // (engine/count_routing.hpp); `tokens`, the default, is the reference.
  bool count_engine = false;
  std::string model_config;  // the Hugging Face config.json, resolved against base_dir
  std::string weight_dtype;  // "checkpoint" or the dtype every weight is stored in
  WorkloadConfig workload;
  RebalanceConfig rebalance;
  FaultConfig faults;     // `faults:` (absent: none)
  std::string load_file;  // placement.load_file, resolved ("" for none)
  std::optional<std::int64_t> load_iterations;
  std::string output_path;
  bool output_layers = true;  // write /layers (one row per node, iteration and layer)
  // A sweep (`sweep:` section): one key and its values, or several keys run as a grid; empty:
  // none.
  std::vector<SweepAxis> sweep;
  std::shared_ptr<const Sections> sections;
  std::string resolved_yaml;  // the complete configuration, defaults filled in (after close())

  // Once every component has read its section: rejects keys nothing read and records the
  // resolved configuration.
  void close();
};

// Every key the settings read (not the components' own parameters, which their registries
// describe), with type, default, range and description: for `sievesim params`.
ParamDocs describe_experiment();

// Reads and checks the plain settings. Throws InputError (file, key, what) on bad input.
Experiment read_experiment(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace sievesim
