#include "config/experiment.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.hpp"
#include "base/select.hpp"
#include "hw/preset.hpp"

namespace sievesim {
namespace fs = std::filesystem;

std::unique_ptr<ExpertScheduler> Experiment::new_scheduler() const {
  auto s = make_scheduler(Params(YAML::Clone(scheduler_params), file, "scheduler"));
  s->setup(SchedulerSetup{model, *gpu, *pim, (model.routed_experts + nodes - 1) / nodes});
  return s;
}

double Experiment::usable_hbm_bytes() const {
  return std::min(gpu->hbm_capacity_bytes(), pim->capacity_bytes());
}

RequestStream Experiment::new_request_stream() const {
  return make_request_stream(Params(YAML::Clone(requests_params), file, "workload.requests"),
                             workload.seed, fs::path(file).parent_path().string());
}

std::unique_ptr<NodeAssignment> Experiment::new_assignment() const {
  return make_selected<AssignmentRegistry>(
      Params(YAML::Clone(assignment_params), file, "workload.batching"), "assignment",
      "round-robin", "assignment policy");
}

std::int64_t Experiment::expert_slots(std::int32_t node) const {
  std::int64_t replicas = expert_copies(expert_map, model, node);
  if (rebalance.every_iterations > 0)
    if (const auto slots = placement->slots_per_node(
            PlacementContext{model, nodes, gpus_per_server, workload.seed, routing.get()}))
      replicas = std::max(replicas, *slots);
  return replicas;
}

double Experiment::weight_bytes_on(std::int32_t node) const {
  return model.non_expert_weight_bytes() +
         static_cast<double>(expert_slots(node)) * model.expert.weight_bytes();
}

double Experiment::kv_capacity_bytes(std::int32_t node) const {
  return workload.hbm_utilization * usable_hbm_bytes() - weight_bytes_on(node);
}

Experiment load_experiment_unchecked(const std::string& path,
                                     const std::vector<std::string>& overrides);

Experiment load_experiment(const std::string& path, const std::vector<std::string>& overrides) {
  try {
    return load_experiment_unchecked(path, overrides);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's own conversions (odd node kinds the checked readers did not expect).
    throw InputError(path, "", std::string("invalid YAML: ") + e.what());
  }
}

Experiment load_experiment_unchecked(const std::string& path,
                                     const std::vector<std::string>& overrides) {
  Experiment x;
  x.file = path;
  YAML::Node root;
  {
    std::ifstream in(path);
    if (!in) throw InputError(path, "", "cannot open experiment file");
    std::stringstream text;
    text << in.rdbuf();
    try {
      root = YAML::Load(text.str());
    } catch (const YAML::Exception& e) {
      throw InputError(path, "",
                       "malformed YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  auto overridden =
      std::make_shared<const std::set<std::string>>(apply_overrides(root, overrides, path));
  const Params top(root, path, "", overridden);

  // --- system ---
  const Params sys = top.child("system");
  x.nodes = sys.param<std::int64_t>("nodes").min(1).max(1 << 20).required();
  x.gpus_per_server = sys.param<std::int64_t>("gpus_per_server").min(1).dflt(8);
  if (x.nodes > x.gpus_per_server && x.nodes % x.gpus_per_server != 0)
    sys.fail("nodes", "expected a multiple of gpus_per_server (" +
                          std::to_string(x.gpus_per_server) + "), got " + std::to_string(x.nodes));
  x.gpu = make_gpu_model(resolve_preset(sys, "gpu", "gpu", "b200"));
  x.pim = make_pim_model(resolve_preset(sys, "pim", "pim", "hbm3e-bank-pim"));
  x.scale_up = make_fabric_model(resolve_preset(sys, "scale_up", "fabric", "nvlink5"));
  x.scale_out = make_fabric_model(resolve_preset(sys, "scale_out", "fabric", "ib-ndr"));
  x.dispatch_per_expert = sys.param<std::string>("dispatch")
                              .one_of({"per-destination", "per-expert"})
                              .dflt("per-destination") == "per-expert";

  // --- model ---
  const Params mod = top.child("model");
  const std::string cfg = mod.param<std::string>("config").required();
  fs::path model_path(cfg);
  if (model_path.is_relative()) model_path = fs::path(path).parent_path() / model_path;
  if (!fs::exists(model_path))
    mod.fail("config", "model config '" + model_path.string() + "' does not exist");
  x.model = load_hf_config(model_path.lexically_normal().string());
  // The checkpoint's formats by default; a name stores every weight in that dtype instead (the
  // Sieve paper runs every model in BF16, so its setups say `weight_dtype: bf16`).
  const std::string wd = mod.param<std::string>("weight_dtype")
                             .one_of({"checkpoint", "bf16", "fp16", "fp8", "mxfp4"})
                             .dflt("checkpoint");
  if (wd != "checkpoint") set_weight_dtype(x.model, *dtype_from_name(wd));
  if (x.model.num_moe_layers() == 0 || x.model.routed_experts == 0)
    mod.fail("config",
             "model '" + x.model.name + "' has no MoE layers; sievesim simulates MoE models");

  // --- workload ---
  const Params wl = top.child("workload");
  const std::string mode =
      wl.param<std::string>("mode").one_of({"serve", "decode", "prefill"}).dflt("serve");
  BatchConfig& b = x.workload.batching;
  b.mode = mode == "decode"    ? ServeMode::kDecode
           : mode == "prefill" ? ServeMode::kPrefill
                               : ServeMode::kServe;
  x.workload.seed = static_cast<std::uint64_t>(wl.param<std::int64_t>("seed").min(0).dflt(1));
  x.workload.warmup_iterations =
      wl.param<std::int64_t>("warmup_iterations").min(0).max(1 << 24).dflt(0);
  x.workload.max_iterations = wl.param<std::int64_t>("max_iterations").min(0).dflt(0);
  const Params req = wl.child("requests");
  const RequestStream stream =
      make_request_stream(req, x.workload.seed, fs::path(path).parent_path().string());
  x.total_requests = stream.arrivals->total();
  x.requests_params = YAML::Clone(req.resolved());
  const Params bat = wl.child("batching");
  make_selected<AssignmentRegistry>(bat, "assignment", "round-robin", "assignment policy");
  b.max_tokens = bat.param<std::int64_t>("max_tokens").min(1).max(1 << 24).dflt(8192);
  b.max_requests = bat.param<std::int64_t>("max_requests").min(0).max(1 << 24).dflt(0);
  x.workload.hbm_utilization = bat.param<double>("hbm_utilization").above(0).max(1).dflt(0.9);
  x.assignment_params = YAML::Clone(bat.resolved());
  x.routing = make_routing_source(
      wl.child("routing"),
      RoutingContext{x.model, x.workload.seed, fs::path(path).parent_path().string()});

  // --- scheduler, placement, output ---
  const Params sch = top.child("scheduler");
  make_scheduler(sch);  // reads (and so checks) every scheduler key now, not on first use
  x.scheduler_name = sch.param<std::string>("name").dflt("sieve");
  x.scheduler_params = YAML::Clone(sch.resolved());
  const Params pl = top.child("placement");
  x.placement = make_placement_policy(pl);
  x.placement_name = pl.param<std::string>("policy").dflt("contiguous");
  x.replica_dispatch = make_replica_dispatch(pl);
  x.rebalance.every_iterations = pl.param<std::int64_t>("rebalance_every").min(0).dflt(0);
  x.rebalance.background =
      pl.param<std::string>("migration").one_of({"stall", "background"}).dflt("stall") ==
      "background";
  x.rebalance.background_share = pl.param<double>("background_share").above(0).max(1).dflt(0.25);
  if (const auto load = pl.param<std::string>("load_file").dflt(""); !load.empty()) {
    if (!x.placement->uses_loads())
      pl.fail("load_file",
              "the '" + x.placement_name + "' placement does not use loads (eplb and sieve do)");
    fs::path lp(load);
    if (lp.is_relative()) lp = fs::path(path).parent_path() / lp;
    x.given_load = read_load_file(lp.lexically_normal().string(), x.model);
    if (pl.has("load_iterations"))
      x.given_load.iterations = pl.param<std::int64_t>("load_iterations").min(1).required();
  }
  x.expert_map = x.placement->initial(PlacementContext{
      x.model, x.nodes, x.gpus_per_server, x.workload.seed, x.routing.get(), x.gpu.get(),
      x.pim.get(), 1, x.given_load.tokens.empty() ? nullptr : &x.given_load});
  x.expert_map.check();
  const Params out = top.child("output");
  x.output_path = out.param<std::string>("path").dflt("sievesim-result.h5");
  if (x.output_path.empty()) out.fail("path", "expected a file name, got an empty string");
  x.output_layers = out.param<bool>("layers").dflt(true);
  const Params sw = top.child("sweep");
  x.sweep_key = sw.param<std::string>("key").dflt("");
  // (An empty default list would not survive a YAML round trip of the resolved configuration.)
  if (sw.has("values") || !x.sweep_key.empty()) x.sweep_values = sw.scalar_list("values");
  if (x.sweep_key.empty() != x.sweep_values.empty())
    sw.fail(x.sweep_key.empty() ? "key" : "values",
            "a sweep needs both `key` (a dotted key) and `values` (a list of numbers or names)");
  if (x.sweep_key.rfind("sweep.", 0) == 0) sw.fail("key", "cannot sweep the sweep itself");

  top.reject_unknown_keys();

  // Capacity: the weights must fit every node, and the longest possible request must fit the
  // KV cache left on the fullest node (admission control handles everything else).
  std::int32_t fullest = 0;
  for (std::int32_t n = 1; n < x.nodes; ++n)
    if (x.weight_bytes_on(n) > x.weight_bytes_on(fullest)) fullest = n;
  b.kv_capacity_bytes = x.kv_capacity_bytes(fullest);
  std::ostringstream m;
  m.precision(3);
  if (b.kv_capacity_bytes <= 0) {
    m << "the weights need " << x.weight_bytes_on(fullest) / 1e9 << " GB on node " << fullest
      << " but " << x.workload.hbm_utilization << " of its " << x.usable_hbm_bytes() / 1e9
      << " GB of HBM (GPU, or PIM stacks if smaller) is "
      << x.workload.hbm_utilization * x.usable_hbm_bytes() / 1e9
      << " GB; add nodes, use smaller weights or a larger workload.batching.hbm_utilization";
    // Replicas a placement adds beyond one copy per expert are the user's choice to undo.
    const std::int64_t single =
        x.model.num_moe_layers() * ((x.model.routed_experts + x.nodes - 1) / x.nodes);
    const std::int64_t copies = x.expert_slots(fullest);
    if (copies > single)
      pl.fail(x.placement_name, "the placement holds " + std::to_string(copies) +
                                    " expert copies on node " + std::to_string(fullest) +
                                    " (one copy per expert needs " + std::to_string(single) +
                                    "): " + m.str() + ", or fewer replicas");
    sys.fail("nodes", m.str());
  }
  RequestSpec longest;
  longest.prompt_tokens = stream.arrivals->max_prompt_tokens();
  longest.output_tokens = stream.arrivals->max_output_tokens();
  const double need = NodeBatch(0, b, x.model).reserve_bytes(longest);
  if (need > b.kv_capacity_bytes) {
    m << "the longest request (" << longest.prompt_tokens << " prompt + " << longest.output_tokens
      << " output tokens) needs " << need / 1e9 << " GB of KV cache but a node has "
      << b.kv_capacity_bytes / 1e9
      << " GB left after the weights; shorten the requests or add nodes";
    wl.fail("requests", m.str());
  }
  YAML::Emitter em;
  em << top.resolved();
  x.resolved_yaml = em.c_str();
  return x;
}

}  // namespace sievesim
