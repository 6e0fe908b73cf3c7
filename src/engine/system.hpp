#pragma once
// The assembly step: every component of a run built once from the checked settings, then handed
// to whoever uses it (the nodes take their schedulers; the simulator the request stream, the
// assignment and the placement). Reading settings (config/), building (here) and running
// (engine/simulator) are separate steps, so a component is never built to be checked and built
// again to be used.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "engine/op_costs.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/net/fabric_model.hpp"
#include "hw/net/topology.hpp"
#include "hw/pim/pim_model.hpp"
#include "model/model.hpp"
#include "place/load_file.hpp"
#include "place/placement.hpp"
#include "place/replica_dispatch.hpp"
#include "sched/scheduler.hpp"
#include "workload/assignment.hpp"
#include "workload/requests.hpp"
#include "workload/routing.hpp"

namespace sievesim {

// The simulated nodes this process hosts (count -1: all of them).
struct NodeRange {
  std::int64_t first = 0;
  std::int64_t count = -1;
};

class System {
 public:
  // Builds every component of `cfg` once, for the nodes of `local`; checks the capacity and
  // closes the configuration. Throws InputError on bad input.
  static std::unique_ptr<System> assemble(Experiment cfg, NodeRange local = {});
  // Reads the settings and assembles them.
  static std::unique_ptr<System> assemble(const std::string& path,
                                          const std::vector<std::string>& overrides,
                                          NodeRange local = {});

  Experiment cfg;  // the settings, resolved_yaml and kv_capacity_bytes filled in
  ModelSpec model;
  std::unique_ptr<GpuModel> gpu;
  std::unique_ptr<PimModel> pim;
  std::unique_ptr<FabricModel> scale_up, scale_out;
  std::unique_ptr<Topology> topology;
  std::unique_ptr<OpCosts> costs;
  std::unique_ptr<RoutingSource> routing;
  // Arrival process, lengths and assignment keep state over a run: a system serves one run.
  RequestStream requests;
  std::unique_ptr<NodeAssignment> assignment;
  std::unique_ptr<PlacementPolicy> placement;
  std::unique_ptr<ReplicaDispatch> replica_dispatch;
  GivenLoad given_load;  // placement.load_file (empty tokens: none)
  ExpertMap expert_map;  // the initial placement, computed (and checked) when assembling
  std::string scheduler_name, placement_name;
  std::int64_t total_requests = 0;

  // The schedulers of the local nodes, one per node, each built once.
  NodeRange local;
  const ExpertScheduler& scheduler(std::int64_t node) const;
  std::unique_ptr<ExpertScheduler> take_scheduler(std::int64_t node);

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

 private:
  System() = default;
  void build_hardware();
  void build_workload();
  void build_schedulers();
  void build_placement();
  void check_capacity();
  std::vector<std::unique_ptr<ExpertScheduler>> schedulers_;
};

}  // namespace sievesim
