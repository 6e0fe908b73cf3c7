#include "engine/system.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "base/error.hpp"
#include "base/select.hpp"
#include "engine/count_routing.hpp"
#include "hw/preset.hpp"

namespace sievesim {

std::unique_ptr<System> System::assemble(const std::string& path,
                                         const std::vector<std::string>& overrides,
                                         NodeRange local) {
  return assemble(read_experiment(path, overrides), local);
}

std::unique_ptr<System> System::assemble(Experiment cfg, NodeRange local) {
  std::unique_ptr<System> s(new System());
  s->cfg = std::move(cfg);
  s->local = local.count < 0 ? NodeRange{0, s->cfg.nodes} : local;
  try {
    s->build_hardware();
    if (s->cfg.count_engine) check_count_routing(s->cfg);
    s->build_workload();
    s->build_schedulers();
    s->build_placement();
    if (s->cfg.count_engine) check_count_engine(*s);
    s->cfg.close();
    s->check_capacity();
  } catch (const YAML::Exception& e) {
    // yaml-cpp's own conversions (odd node kinds the checked readers did not expect).
    throw InputError(s->cfg.file, "", std::string("invalid YAML: ") + e.what());
  }
  return s;
}

void System::build_hardware() {
  const Sections& sec = *cfg.sections;
  // The loader knows only the path; here the experiment file and its key can be named.
  if (std::filesystem::is_directory(cfg.model_config))
    sec.model.fail("config", "'" + cfg.model_config +
                                 "' is a directory; expected a Hugging Face config.json file");
  model = load_hf_config(cfg.model_config);
  if (cfg.weight_dtype != "checkpoint") set_weight_dtype(model, *dtype_from_name(cfg.weight_dtype));
  if (model.num_moe_layers() == 0 || model.routed_experts == 0)
    sec.model.fail("config",
                   "model '" + model.name + "' has no MoE layers; sievesim simulates MoE models");
  gpu = make_gpu_model(resolve_preset(sec.system, "gpu", "gpu", kDefaultGpuPreset));
  pim = make_pim_model(resolve_preset(sec.system, "pim", "pim", kDefaultPimPreset));
  scale_up =
      make_fabric_model(resolve_preset(sec.system, "scale_up", "fabric", kDefaultScaleUpPreset));
  scale_out =
      make_fabric_model(resolve_preset(sec.system, "scale_out", "fabric", kDefaultScaleOutPreset));
  topology = std::make_unique<Topology>(cfg.gpus_per_server, *scale_up, *scale_out,
                                        gpu->hbm_bandwidth_Bps());
  costs = std::make_unique<OpCosts>(model, *gpu, *pim);
}

void System::build_workload() {
  const Sections& sec = *cfg.sections;
  requests = make_request_stream(sec.requests, cfg.workload.seed, cfg.base_dir);
  total_requests = requests.arrivals->total();
  assignment = make_selected<AssignmentRegistry>(sec.batching, "assignment", "round-robin",
                                                 "assignment policy");
  routing =
      make_routing_source(sec.routing, RoutingContext{model, cfg.workload.seed, cfg.base_dir});
}

void System::build_schedulers() {
  const Sections& sec = *cfg.sections;
  const SchedulerSetup setup{model, *gpu, *pim, (model.routed_experts + cfg.nodes - 1) / cfg.nodes};
  // The section is read (and so checked) by the first node's scheduler even when this process
  // hosts none, so every process rejects the same bad keys.
  const std::int64_t n = std::max<std::int64_t>(1, local.count);
  for (std::int64_t i = 0; i < n; ++i) {
    schedulers_.push_back(make_scheduler(sec.scheduler));
    schedulers_.back()->setup(setup);
  }
  scheduler_name = sec.scheduler.param<std::string>("name").dflt("sieve");
}

void System::build_placement() {
  const Params& pl = cfg.sections->placement;
  placement = make_placement_policy(pl);
  placement_name = pl.param<std::string>("policy").dflt("contiguous");
  replica_dispatch = make_replica_dispatch(pl);
  if (!cfg.load_file.empty()) {
    if (!placement->uses_loads())
      pl.fail("load_file",
              "the '" + placement_name + "' placement does not use loads (eplb and sieve do)");
    given_load = read_load_file(cfg.load_file, model);
    if (cfg.load_iterations) given_load.iterations = *cfg.load_iterations;
  }
  PlacementContext ctx{model,
                       cfg.nodes,
                       cfg.gpus_per_server,
                       cfg.workload.seed,
                       routing.get(),
                       gpu.get(),
                       pim.get(),
                       1,
                       given_load.tokens.empty() ? nullptr : &given_load};
  if (cfg.faults.speed_aware) {  // a placement told of stragglers places for their speed
    ctx.gpu_slowdown = cfg.faults.gpu_slowdown;
    ctx.pim_slowdown = cfg.faults.pim_slowdown;
  }
  expert_map = placement->initial(ctx);
  expert_map.check();
}

// The weights must fit every node, and the longest possible request must fit the KV cache left
// on the fullest node (admission control handles everything else).
void System::check_capacity() {
  const Sections& sec = *cfg.sections;
  BatchConfig& b = cfg.workload.batching;
  std::int32_t fullest = 0;
  for (std::int32_t n = 1; n < cfg.nodes; ++n)
    if (weight_bytes_on(n) > weight_bytes_on(fullest)) fullest = n;
  b.kv_capacity_bytes = kv_capacity_bytes(fullest);
  std::ostringstream m;
  m.precision(3);
  if (b.kv_capacity_bytes <= 0) {
    m << "the weights need " << weight_bytes_on(fullest) / 1e9 << " GB on node " << fullest
      << " but " << cfg.workload.hbm_utilization << " of its " << usable_hbm_bytes() / 1e9
      << " GB of HBM (GPU, or PIM stacks if smaller) is "
      << cfg.workload.hbm_utilization * usable_hbm_bytes() / 1e9
      << " GB; add nodes, use smaller weights or a larger workload.batching.hbm_utilization";
    // Replicas a placement adds beyond one copy per expert are the user's choice to undo.
    const std::int64_t single =
        model.num_moe_layers() * ((model.routed_experts + cfg.nodes - 1) / cfg.nodes);
    const std::int64_t copies = expert_slots(fullest);
    if (copies > single)
      sec.placement.fail(placement_name, "the placement holds " + std::to_string(copies) +
                                             " expert copies on node " + std::to_string(fullest) +
                                             " (one copy per expert needs " +
                                             std::to_string(single) + "): " + m.str() +
                                             ", or fewer replicas");
    sec.system.fail("nodes", m.str());
  }
  RequestSpec longest;
  longest.prompt_tokens = requests.arrivals->max_prompt_tokens();
  longest.output_tokens = requests.arrivals->max_output_tokens();
  const double need = NodeBatch(0, b, model).reserve_bytes(longest);
  if (need > b.kv_capacity_bytes) {
    m << "the longest request (" << longest.prompt_tokens << " prompt + " << longest.output_tokens
      << " output tokens) needs " << need / 1e9 << " GB of KV cache but a node has "
      << b.kv_capacity_bytes / 1e9
      << " GB left after the weights; shorten the requests or add nodes";
    sec.workload.fail("requests", m.str());
  }
}

const ExpertScheduler& System::scheduler(std::int64_t node) const {
  const std::int64_t i = local.count == 0 ? 0 : node - local.first;
  if (i < 0 || i >= static_cast<std::int64_t>(schedulers_.size()) || !schedulers_[i])
    throw SimulationError("no scheduler for node " + std::to_string(node) + " in this process");
  return *schedulers_[static_cast<std::size_t>(i)];
}

std::unique_ptr<ExpertScheduler> System::take_scheduler(std::int64_t node) {
  scheduler(node);  // checks that it is there
  return std::move(schedulers_[static_cast<std::size_t>(node - local.first)]);
}

double System::usable_hbm_bytes() const {
  return std::min(gpu->hbm_capacity_bytes(), pim->capacity_bytes());
}

std::int64_t System::expert_slots(std::int32_t node) const {
  std::int64_t replicas = expert_copies(expert_map, model, node);
  if (cfg.rebalance.every_iterations > 0)
    if (const auto slots = placement->slots_per_node(PlacementContext{
            model, cfg.nodes, cfg.gpus_per_server, cfg.workload.seed, routing.get()}))
      replicas = std::max(replicas, *slots);
  return replicas;
}

double System::weight_bytes_on(std::int32_t node) const {
  return model.non_expert_weight_bytes() +
         static_cast<double>(expert_slots(node)) * model.expert.weight_bytes();
}

double System::kv_capacity_bytes(std::int32_t node) const {
  return cfg.workload.hbm_utilization * usable_hbm_bytes() - weight_bytes_on(node);
}

}  // namespace sievesim
