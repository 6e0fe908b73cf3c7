#include <cstdio>
#include <iostream>

#include "base/error.hpp"
#include "cli/commands.hpp"
#include "engine/system.hpp"
#include "mpi/rank_map.hpp"

namespace sievesim::cli {
namespace {

void figure(const char* label, const std::string& value) {
  std::printf("#   %-40s %s\n", label, value.c_str());
}
std::string num(double v, const char* f = "%.4g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

void print_figures(const System& x) {
  const ModelSpec& m = x.model;
  std::int64_t full = 0, sliding = 0, linear = 0, mla = 0;
  for (const auto& l : m.layers) {
    full += l.attention == AttentionKind::kFull;
    sliding += l.attention == AttentionKind::kSlidingWindow;
    linear += l.attention == AttentionKind::kLinear;
    mla += l.attention == AttentionKind::kMla;
  }
  std::printf("# derived model figures (%s, model_type %s)\n", m.source_path.c_str(),
              m.model_type.c_str());
  figure("hidden size", std::to_string(m.hidden));
  figure("layers (MoE)",
         std::to_string(m.num_layers) + " (" + std::to_string(m.num_moe_layers()) + ")");
  figure("attention layers full/sliding/linear/MLA",
         std::to_string(full) + "/" + std::to_string(sliding) + "/" + std::to_string(linear) + "/" +
             std::to_string(mla));
  figure("routed experts, top-k",
         std::to_string(m.routed_experts) + ", " + std::to_string(m.top_k));
  figure("shared experts (width)", std::to_string(m.shared_experts) + " (" +
                                       std::to_string(m.shared_expert.intermediate) + ")");
  figure("expert width", std::to_string(m.expert.intermediate));
  figure("expert weights dtype", dtype_name(m.expert.weight_dtype));
  figure("other weights / activation dtype",
         std::string(dtype_name(m.weight_dtype)) + " / " + dtype_name(m.activation_dtype));
  figure("params per routed expert", std::to_string(m.expert.params()));
  figure("bytes per routed expert", num(m.expert.weight_bytes(), "%.0f"));
  figure("total params", num(static_cast<double>(m.total_params()) / 1e9, "%.2f B"));
  figure("active params (excl. / incl. embedding)",
         num(static_cast<double>(m.active_params()) / 1e9, "%.2f B") + " / " +
             num(static_cast<double>(m.active_params_with_embedding()) / 1e9, "%.2f B"));
  figure("KV bytes per token (all layers)", num(m.kv_bytes_per_token(), "%.0f"));
  figure("token hidden vector bytes", num(m.token_bytes(), "%.0f"));
  figure("weights per node (node 0)", num(x.weight_bytes_on(0) / 1e9, "%.2f GB") + " of " +
                                          num(x.usable_hbm_bytes() / 1e9, "%.0f GB"));
  figure("KV cache per node (smallest)",
         num(x.cfg.workload.batching.kv_capacity_bytes / 1e9, "%.2f GB"));
  // The experiment's own longest request: the one the KV capacity check is about.
  const std::int64_t prompt = x.requests.arrivals->max_prompt_tokens(),
                     output = x.requests.arrivals->max_output_tokens();
  figure("KV bytes of the longest request", num(m.sequence_kv_bytes(prompt + output), "%.0f") +
                                                " (" + std::to_string(prompt) + " + " +
                                                std::to_string(output) + " tokens)");
  figure("requests", std::to_string(x.total_requests));
  // What the scheduler derived from the models (e.g. PIMoE's throttle-aware threshold).
  for (const auto& [label, value] : x.scheduler(0).derived()) figure(label.c_str(), value);
}

}  // namespace

Runner add_validate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "validate",
      "Load and check an experiment and its model config without simulating. Prints the resolved "
      "configuration (YAML, every default filled in) and the derived model figures. Exit 0 when "
      "valid, 2 with one line naming the file and key otherwise.");
  struct Opts {
    std::string file;
    std::vector<std::string> params;
    int ranks = 0;
    std::int64_t nodes_per_rank = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("experiment", o->file, "experiment YAML file")
      ->required()
      ->type_name("EXPERIMENT.yaml");
  add_param_option(*cmd, o->params);
  cmd->add_option("--ranks", o->ranks,
                  "Also check that the cluster can be laid out on this many MPI ranks")
      ->check(positive_integer());
  cmd->add_option("--nodes-per-rank", o->nodes_per_rank,
                  "With --ranks: simulated nodes per rank (default: nodes / ranks)")
      ->check(positive_integer());
  return [o]() {
    // One node's components are enough to check every section and show what it derives.
    const auto sys = System::assemble(o->file, o->params, NodeRange{0, 1});
    if (o->ranks > 0) {
      std::int64_t npr = o->nodes_per_rank;
      const std::string err = RankMap::validate(sys->cfg.nodes, o->ranks, npr);
      if (!err.empty()) throw InputError(sys->cfg.file, "system.nodes", err);
    }
    std::cout << "# resolved configuration of " << sys->cfg.file << "\n"
              << sys->cfg.resolved_yaml << "\n";
    print_figures(*sys);
    return kExitOk;
  };
}

}  // namespace sievesim::cli
