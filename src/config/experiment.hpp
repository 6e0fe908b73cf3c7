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
#include "sched/scheduler.hpp"
#include "workload/routing.hpp"

namespace sievesim {

struct WorkloadConfig {
  std::int64_t batch_per_node = 64;    // concurrent decode requests per node
  std::int64_t context_tokens = 1024;  // KV length of each request at the first iteration
  std::int64_t iterations = 8;
  std::uint64_t seed = 1;
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
  ExpertMap expert_map;  // the initial placement, computed (and checked) when loading
  std::string scheduler_name;
  YAML::Node scheduler_params;  // resolved, to build one scheduler per node
  std::string output_path;
  std::int64_t capped_batch_from = 0;  // batch asked for, when over_capacity: cap-batch lowered it

  std::unique_ptr<ExpertScheduler> new_scheduler() const;
  // Bytes of HBM a node needs: replicated non-expert weights, its share of the routed experts,
  // and the KV cache / recurrent state of its requests at the last iteration.
  double memory_per_node_bytes() const;
  // HBM a node may fill: the GPU's, or less where the PIM stacks hold less (PIM units take die
  // area from the DRAM arrays).
  double usable_hbm_bytes() const;
};

// Loads, resolves and checks the experiment. Throws InputError (file, key, what) on bad input.
Experiment load_experiment(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace sievesim
