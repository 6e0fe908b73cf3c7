#include <cstdio>

#include "base/error.hpp"
#include "cli/commands.hpp"
#include "engine/system.hpp"
#include "workload/stats.hpp"

namespace sievesim::cli {

Runner add_workload_stats_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "workload-stats",
      "Route batches with the experiment's routing source and print, per MoE layer and batch "
      "size, how the tokens spread over the experts: active experts, the share of active experts "
      "with 1, 2 and <= 4 tokens, the largest and mean load, and idle experts.");
  struct Opts {
    std::string file;
    std::vector<std::string> params;
    std::vector<std::int64_t> batches;
    std::int64_t samples = 16;
    bool summary_only = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("experiment", o->file, "experiment YAML file")
      ->required()
      ->type_name("EXPERIMENT.yaml");
  add_param_option(*cmd, o->params);
  cmd->add_option("--batch", o->batches, "tokens per batch, comma-separated (default: 64 x nodes)")
      ->delimiter(',')
      ->check(positive_integer());
  cmd->add_option("--samples", o->samples, "batches per layer (consecutive token positions)")
      ->check(positive_integer())
      ->capture_default_str();
  cmd->add_flag("--summary", o->summary_only, "print only the all-layer row of each batch size");
  return [o]() {
    const auto sys = System::assemble(o->file, o->params, NodeRange{0, 0});
    const System& x = *sys;
    std::vector<std::int64_t> batches = o->batches;
    if (batches.empty()) batches.push_back(64 * x.cfg.nodes);
    std::printf("# %s: %lld experts, top-%lld, routing as configured in %s\n", x.model.name.c_str(),
                static_cast<long long>(x.model.routed_experts),
                static_cast<long long>(x.model.top_k), x.cfg.file.c_str());
    std::printf("%6s %6s %8s %8s %8s %8s %8s %8s %8s %8s\n", "batch", "layer", "active", "1 tok",
                "2 tok", "<=4 tok", "max", "mean", "max/mean", "idle");
    for (auto b : batches) {
      for (const auto& s : routing_stats(*x.routing, x.model, b, o->samples)) {
        if (o->summary_only && s.layer >= 0) continue;
        const std::string layer = s.layer < 0 ? "all" : std::to_string(s.layer);
        std::printf("%6lld %6s %8.2f %7.1f%% %7.1f%% %7.1f%% %8.2f %8.2f %8.2f %7.1f%%\n",
                    static_cast<long long>(b), layer.c_str(), s.active_experts, 100 * s.share_1,
                    100 * s.share_2, 100 * s.share_le4, s.max_tokens, s.mean_tokens,
                    s.mean_tokens > 0 ? s.max_tokens / s.mean_tokens : 0.0, 100 * s.idle);
      }
    }
    return kExitOk;
  };
}

}  // namespace sievesim::cli
