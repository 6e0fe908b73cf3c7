#include <cstdio>

#include "base/error.hpp"
#include "cli/commands.hpp"
#include "engine/system.hpp"
#include "workload/stats.hpp"

namespace sievesim::cli {
namespace {

// Work is batch x samples x MoE layers x top-k route calls per source: the bounds keep one call
// under a few minutes (2^20 tokens x 2^12 steps is already 10^11 draws for a 24-layer top-4 model).
constexpr long long kMaxBatch = 1 << 20;
constexpr long long kMaxSamples = 1 << 12;

// The decode position each of the first `batch` requests starts at: its prompt length, drawn as
// the run draws it (so a trace replayed with recorded prompts starts at its first recorded
// token), plus `step` decode steps.
std::vector<std::uint32_t> first_positions(const System& x, std::int64_t batch, std::int64_t step) {
  const ArrivalContext ctx{x.cfg.workload.seed, x.cfg.base_dir, x.requests.prompt.get(),
                           x.requests.output.get()};
  std::vector<std::uint32_t> out;
  for (std::int64_t r = 0; r < batch; ++r)
    out.push_back(static_cast<std::uint32_t>(sample_request(ctx, r, 0).prompt_tokens + step));
  return out;
}

struct Column {
  std::string source;
  std::vector<std::vector<RoutingStats>> per_batch;  // routing_stats rows of each batch size
};

struct Statistic {
  const char* name;
  double (*of)(const RoutingStats&);
  bool percent;
};

const Statistic kStatistics[] = {
    {"active experts", [](const RoutingStats& s) { return s.active_experts; }, false},
    {"1-token share", [](const RoutingStats& s) { return s.share_1; }, true},
    {"2-token share", [](const RoutingStats& s) { return s.share_2; }, true},
    {"<=4-token share", [](const RoutingStats& s) { return s.share_le4; }, true},
    {"max load", [](const RoutingStats& s) { return s.max_tokens; }, false},
    {"mean load", [](const RoutingStats& s) { return s.mean_tokens; }, false},
    {"max/mean",
     [](const RoutingStats& s) { return s.mean_tokens > 0 ? s.max_tokens / s.mean_tokens : 0.0; },
     false},
    {"idle experts", [](const RoutingStats& s) { return s.idle; }, true},
};

void print_one(const Column& c, const std::vector<std::int64_t>& batches, bool summary_only) {
  std::printf("%6s %6s %8s %8s %8s %8s %8s %8s %8s %8s\n", "batch", "layer", "active", "1 tok",
              "2 tok", "<=4 tok", "max", "mean", "max/mean", "idle");
  for (std::size_t i = 0; i < batches.size(); ++i)
    for (const auto& s : c.per_batch[i]) {
      if (summary_only && s.layer >= 0) continue;
      const std::string layer = s.layer < 0 ? "all" : std::to_string(s.layer);
      std::printf("%6lld %6s %8.2f %7.1f%% %7.1f%% %7.1f%% %8.2f %8.2f %8.2f %7.1f%%\n",
                  static_cast<long long>(batches[i]), layer.c_str(), s.active_experts,
                  100 * s.share_1, 100 * s.share_2, 100 * s.share_le4, s.max_tokens, s.mean_tokens,
                  s.mean_tokens > 0 ? s.max_tokens / s.mean_tokens : 0.0, 100 * s.idle);
    }
}

// Sources side by side: a row per (batch, layer, statistic), a column per source.
void print_side_by_side(const std::vector<Column>& cols, const std::vector<std::int64_t>& batches,
                        bool summary_only) {
  std::printf("%6s %6s %-16s", "batch", "layer", "statistic");
  for (const auto& c : cols) std::printf(" %10s", c.source.c_str());
  std::printf("\n");
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const auto& rows = cols.front().per_batch[i];
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (summary_only && rows[r].layer >= 0) continue;
      const std::string layer = rows[r].layer < 0 ? "all" : std::to_string(rows[r].layer);
      for (const auto& st : kStatistics) {
        std::printf("%6lld %6s %-16s", static_cast<long long>(batches[i]), layer.c_str(), st.name);
        for (const auto& c : cols) {
          const double v = st.of(c.per_batch[i][r]);
          if (st.percent)
            std::printf(" %9.1f%%", 100 * v);
          else
            std::printf(" %10.2f", v);
        }
        std::printf("\n");
      }
    }
  }
}

}  // namespace

Runner add_workload_stats_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "workload-stats",
      "Route batches with the experiment's routing source and print, per MoE layer and batch "
      "size, how the tokens spread over the experts: active experts, the share of active experts "
      "with 1, 2 and <= 4 tokens, the largest and mean load, and idle experts. A batch of B is "
      "requests 0..B-1 at --samples consecutive decode steps from --step. --source "
      "trace,fitted,zipf prints several routing sources of the experiment side by side.");
  struct Opts {
    std::string file;
    std::vector<std::string> params, sources;
    std::vector<std::int64_t> batches;
    std::int64_t samples = 16, step = 0;
    bool summary_only = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("experiment", o->file, "experiment YAML file")
      ->required()
      ->type_name("EXPERIMENT.yaml");
  add_param_option(*cmd, o->params);
  cmd->add_option("--batch", o->batches,
                  "tokens per batch, comma-separated, each at most 1048576 (default: 64 x nodes)")
      ->delimiter(',')
      ->check(integer_between(1, kMaxBatch));
  cmd->add_option("--samples", o->samples,
                  "batches per layer (consecutive decode steps), at most 4096")
      ->check(integer_between(1, kMaxSamples))
      ->capture_default_str();
  cmd->add_option("--step", o->step,
                  "decode step of the first batch (GPT-OSS recordings open with the same chat "
                  "template tokens in every request, which route alike: --step 40 skips them)")
      ->check(integer_between(0, 1 << 24))
      ->capture_default_str();
  cmd->add_option("--source", o->sources,
                  "routing sources to compare side by side, comma-separated (e.g. "
                  "trace,fitted,zipf), each with its parameters from workload.routing.<name> of "
                  "the experiment (default: the configured source alone)")
      ->delimiter(',')
      ->type_name("NAME,...");
  cmd->add_flag("--summary", o->summary_only, "print only the all-layer row of each batch size");
  return [o]() {
    std::vector<std::string> sources = o->sources;
    if (sources.empty()) sources.push_back("");  // as configured
    std::vector<Column> cols;
    std::string header;
    for (const auto& name : sources) {
      auto params = o->params;
      if (!name.empty()) params.push_back("workload.routing.source=" + name);
      const auto sys = System::assemble(o->file, params, NodeRange{0, 0});
      const System& x = *sys;
      std::vector<std::int64_t> batches = o->batches;
      if (batches.empty()) batches.push_back(64 * x.cfg.nodes);
      if (header.empty()) {
        char line[512];
        std::snprintf(
            line, sizeof line, "# %s: %lld experts, top-%lld, %s from %s\n", x.model.name.c_str(),
            static_cast<long long>(x.model.routed_experts), static_cast<long long>(x.model.top_k),
            name.empty() ? "routing as configured" : "routing sources", x.cfg.file.c_str());
        header = line;
        o->batches = batches;
      }
      Column c{name.empty() ? "configured" : name, {}};
      const auto starts =
          first_positions(x, *std::max_element(batches.begin(), batches.end()), o->step);
      for (auto b : batches)
        c.per_batch.push_back(routing_stats(*x.routing, x.model, b, o->samples, starts));
      cols.push_back(std::move(c));
    }
    std::fputs(header.c_str(), stdout);
    if (cols.size() == 1)
      print_one(cols.front(), o->batches, o->summary_only);
    else
      print_side_by_side(cols, o->batches, o->summary_only);
    return kExitOk;
  };
}

}  // namespace sievesim::cli
