#include "config/experiment.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "hw/preset.hpp"

namespace sievesim {
namespace fs = std::filesystem;

std::unique_ptr<ExpertScheduler> Experiment::new_scheduler() const {
  return make_scheduler(Params(YAML::Clone(scheduler_params), file, "scheduler"));
}

double Experiment::usable_hbm_bytes() const {
  return std::min(gpu->hbm_capacity_bytes(), pim->capacity_bytes());
}

double Experiment::memory_per_node_bytes() const {
  const double experts_here = model.routed_expert_bytes_total() / static_cast<double>(nodes);
  const auto final_ctx = workload.context_tokens + workload.iterations;
  double kv = 0;
  for (const auto& l : model.layers) {
    const auto ctx = l.attention == AttentionKind::kSlidingWindow
                         ? std::min<std::int64_t>(final_ctx, l.window_tokens)
                         : final_ctx;
    kv += static_cast<double>(ctx) * l.kv_bytes_per_token + l.state_bytes_per_sequence;
  }
  return model.non_expert_weight_bytes() + experts_here +
         kv * static_cast<double>(workload.batch_per_node);
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
  if (x.model.num_moe_layers() == 0 || x.model.routed_experts == 0)
    mod.fail("config",
             "model '" + x.model.name + "' has no MoE layers; sievesim simulates MoE models");

  // --- workload ---
  const Params wl = top.child("workload");
  wl.param<std::string>("mode").one_of({"decode"}).dflt("decode");
  x.workload.batch_per_node =
      wl.param<std::int64_t>("batch_per_node").min(1).max(1 << 20).required();
  x.workload.context_tokens =
      wl.param<std::int64_t>("context_tokens").min(1).max(1 << 24).dflt(1024);
  x.workload.iterations = wl.param<std::int64_t>("iterations").min(1).max(1 << 24).dflt(8);
  x.workload.seed = static_cast<std::uint64_t>(wl.param<std::int64_t>("seed").min(0).dflt(1));
  const bool cap_batch =
      wl.param<std::string>("over_capacity").one_of({"error", "cap-batch"}).dflt("error") ==
      "cap-batch";
  x.routing = make_routing_source(
      wl.child("routing"),
      RoutingContext{x.model, x.workload.seed, fs::path(path).parent_path().string()});

  // --- scheduler, placement, output ---
  const Params sch = top.child("scheduler");
  make_scheduler(sch);  // reads (and so checks) every scheduler key now, not on first use
  x.scheduler_name = sch.param<std::string>("name").dflt("sieve");
  x.scheduler_params = YAML::Clone(sch.resolved());
  x.placement = make_placement_policy(top.child("placement"));
  x.expert_map = x.placement->initial(
      PlacementContext{x.model, x.nodes, x.gpus_per_server, x.workload.seed, x.routing.get()});
  x.expert_map.check();
  const Params out = top.child("output");
  x.output_path = out.param<std::string>("path").dflt("sievesim-result.h5");
  if (x.output_path.empty()) out.fail("path", "expected a file name, got an empty string");

  top.reject_unknown_keys();

  const double have = x.usable_hbm_bytes();
  if (x.memory_per_node_bytes() > have) {
    // The batch that fits, when asked for: KV and state grow linearly with it.
    const auto requested = x.workload.batch_per_node;
    std::int64_t lo = 0, hi = requested;
    while (cap_batch && lo < hi) {
      x.workload.batch_per_node = (lo + hi + 1) / 2;
      if (x.memory_per_node_bytes() <= have)
        lo = x.workload.batch_per_node;
      else
        hi = x.workload.batch_per_node - 1;
    }
    x.workload.batch_per_node = cap_batch ? lo : requested;
    if (!cap_batch || x.workload.batch_per_node < 1) {
      x.workload.batch_per_node = requested;
      std::ostringstream m;
      m.precision(3);
      m << "a node needs " << x.memory_per_node_bytes() / 1e9
        << " GB of HBM (weights + KV cache of " << requested << " requests) but has " << have / 1e9
        << " GB (GPU, or PIM stacks if smaller); lower the batch, add nodes or use smaller weights";
      wl.fail("batch_per_node", m.str());
    }
    x.capped_batch_from = requested;
  }
  YAML::Emitter em;
  em << top.resolved();
  x.resolved_yaml = em.c_str();
  return x;
}

}  // namespace sievesim
