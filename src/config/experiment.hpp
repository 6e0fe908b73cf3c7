#pragma once
// The experiment: everything a run needs, loaded and checked from the YAML file (+ -p overrides)
// before any simulation starts.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hw/gpu/gpu_model.hpp"
#include "hw/net/fabric_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "model/model.hpp"
#include "place/placement.hpp"
#include "place/replica_dispatch.hpp"
#include "sched/scheduler.hpp"
#include "workload/assignment.hpp"
#include "workload/batch.hpp"
#include "workload/requests.hpp"
#include "workload/routing.hpp"

namespace sievesim {

struct WorkloadConfig {
  BatchConfig batching;  // kv_capacity_bytes: the smallest over nodes
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

struct Experiment {
  std::string file;           // the YAML path as given
  std::string resolved_yaml;  // the complete configuration, defaults filled in
  ModelSpec model;

  std::int64_t nodes = 0;
  std::int64_t gpus_per_server = 0;
  std::unique_ptr<GpuModel> gpu;
  std::unique_ptr<PimModel> pim;
  std::unique_ptr<FabricModel> scale_up;
  std::unique_ptr<FabricModel> scale_out;
  // Dispatch sends a token once per destination node (de-duplicated, "normal" all-to-all
  // kernels) or once per selected expert (low-latency decode kernels); combine mirrors it.
  bool dispatch_per_expert = false;

  WorkloadConfig workload;
  std::unique_ptr<RoutingSource> routing;
  std::unique_ptr<PlacementPolicy> placement;
  std::string placement_name;
  std::unique_ptr<ReplicaDispatch> replica_dispatch;
  GivenLoad given_load;  // placement.load_file (empty tokens: none)  // which copy of a replicated
                         // expert a token uses
  RebalanceConfig rebalance;
  ExpertMap expert_map;  // the initial placement, computed (and checked) when loading
  std::string scheduler_name;
  YAML::Node scheduler_params;   // resolved, to build one scheduler per node
  YAML::Node requests_params;    // resolved `workload.requests`
  YAML::Node assignment_params;  // resolved `workload.batching`
  std::int64_t total_requests = 0;
  std::string output_path;
  bool output_layers = true;  // write /layers (one row per node, iteration and layer)
  // A sweep: the dotted key that varies and its values (`sweep:` section; empty key: none).
  std::string sweep_key;
  std::vector<std::string> sweep_values;

  std::unique_ptr<ExpertScheduler> new_scheduler() const;
  // Arrival processes and assignment policies keep state over a run: each run makes its own.
  RequestStream new_request_stream() const;
  std::unique_ptr<NodeAssignment> new_assignment() const;
  // Expert copies a node holds (initial placement) or, when the placement rebalances, may come
  // to hold (the policy's slots, if more).
  std::int64_t expert_slots(std::int32_t node) const;
  // Weights a node sets HBM aside for: the replicated non-expert weights and its expert slots.
  double weight_bytes_on(std::int32_t node) const;
  // HBM left for the KV cache of `node` at the configured utilization.
  double kv_capacity_bytes(std::int32_t node) const;
  // HBM a node may fill: the GPU's, or less where the PIM stacks hold less (PIM units take die
  // area from the DRAM arrays).
  double usable_hbm_bytes() const;
};

// Loads, resolves and checks the experiment. Throws InputError (file, key, what) on bad input.
Experiment load_experiment(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace sievesim
