// `sievesim params [NAME]`: every parameter of every registered implementation and hardware
// preset, as the implementations' own reads document them (Params::describing), so the list
// cannot drift from what a run accepts.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/params.hpp"
#include "cli/commands.hpp"
#include "config/experiment.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/net/fabric_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "hw/preset.hpp"
#include "place/placement.hpp"
#include "place/replica_dispatch.hpp"
#include "sched/scheduler.hpp"
#include "workload/assignment.hpp"
#include "workload/requests.hpp"
#include "workload/routing.hpp"

namespace sievesim::cli {
namespace {

struct Described {
  std::string name, description;
  ParamDocs docs;
};

// One registry (or preset family) and where an experiment names its members.
struct Group {
  std::string title, where;
  std::vector<Described> members;
};

// The experiment's own keys (system.nodes, workload.mode, ...), which config/ reads: listed
// first, and `sievesim params experiment` shows them alone.
std::vector<Group> experiment_groups() {
  return {Group{
      "Experiment",
      "the sections of the experiment file (config/experiment.cpp)",
      {{"experiment", "the settings every run reads; components below", describe_experiment()}}}};
}

template <class Reg, class... Ctx>
Group registry_group(std::string title, std::string where, const Ctx&... ctx) {
  Group g{std::move(title), std::move(where), {}};
  for (const auto& [name, entry] : Reg::instance().entries())
    g.members.push_back({name, entry.description, Reg::instance().describe(name, ctx...)});
  return g;
}

Group preset_group(const std::string& family, std::string title, std::string where) {
  Group g{std::move(title), std::move(where), {}};
  for (const auto& name : PresetRegistry::instance().names(family)) {
    Described d{name, "", describe_preset(family, name)};
    for (auto& p : d.docs)
      if (p.key == "description") {
        d.description = p.dflt;
        p.dflt = "(above)";  // a sentence: in the heading, not the column
      }
    g.members.push_back(std::move(d));
  }
  return g;
}

std::vector<Group> all_groups() {
  std::vector<Group> out = experiment_groups();
  out.push_back(registry_group<SchedulerRegistry>(
      "Expert schedulers", "scheduler.name; parameters under scheduler.<name>"));
  out.push_back(registry_group<PlacementRegistry>(
      "Placement policies", "placement.policy; parameters under placement.<name>"));
  out.push_back(registry_group<ReplicaDispatchRegistry>(
      "Replica dispatch rules", "placement.replica_dispatch; parameters under placement.<name>"));
  out.push_back(registry_group<RoutingRegistry>(
      "Routing sources", "workload.routing.source; parameters under workload.routing.<name>",
      describing_routing_context()));
  out.push_back(registry_group<ArrivalRegistry>(
      "Arrival processes", "workload.requests.arrival; parameters under workload.requests.<name>",
      describing_arrival_context()));
  out.push_back(registry_group<LengthRegistry>(
      "Length distributions",
      "workload.requests.prompt and .output: {dist: NAME, NAME: {parameters}}",
      describing_length_context()));
  out.push_back(registry_group<AssignmentRegistry>(
      "Assignment policies",
      "workload.batching.assignment; parameters under workload.batching.<name>"));
  out.push_back(preset_group("gpu", "GPU presets",
                             "system.gpu: {preset: NAME, any key below}; defaults are the "
                             "preset's values"));
  out.push_back(preset_group("pim", "PIM presets",
                             "system.pim: {preset: NAME, any key below}; defaults are the "
                             "preset's values"));
  out.push_back(preset_group("fabric", "Fabric presets",
                             "system.scale_up and system.scale_out: {preset: NAME, any key "
                             "below}; defaults are the preset's values"));
  out.push_back(registry_group<GpuRegistry>(
      "GPU models", "impl: of a GPU preset; the keys it reads, without a preset's values"));
  out.push_back(registry_group<PimRegistry>(
      "PIM models", "impl: of a PIM preset; the keys it reads, without a preset's values"));
  out.push_back(registry_group<FabricRegistry>(
      "Fabric models", "impl: of a fabric preset; the keys it reads, without a preset's values"));
  return out;
}

void print_member(const Described& d) {
  std::printf("\n%s%s%s\n", d.name.c_str(), d.description.empty() ? "" : "  ",
              d.description.c_str());
  if (d.docs.empty()) {
    std::printf("  (no parameters)\n");
    return;
  }
  const std::vector<std::string> head{"key", "type", "default", "range", "description"};
  std::size_t w[4] = {};
  for (std::size_t c = 0; c < 4; ++c) w[c] = head[c].size();
  for (const auto& p : d.docs) {
    w[0] = std::max(w[0], p.key.size());
    w[1] = std::max(w[1], p.type.size());
    w[2] = std::max(w[2], p.dflt.size());
    w[3] = std::max(w[3], p.range.size());
  }
  auto row = [&](const std::string& a, const std::string& b, const std::string& c,
                 const std::string& e, const std::string& f) {
    std::printf("  %-*s  %-*s  %-*s  %-*s  %s\n", static_cast<int>(w[0]), a.c_str(),
                static_cast<int>(w[1]), b.c_str(), static_cast<int>(w[2]), c.c_str(),
                static_cast<int>(w[3]), e.c_str(), f.c_str());
  };
  row(head[0], head[1], head[2], head[3], head[4]);
  for (const auto& p : d.docs) row(p.key, p.type, p.dflt, p.range, p.desc);
}

int run_params(const std::string& name) {
  const std::vector<Group> groups = all_groups();
  bool found = false;
  for (const auto& g : groups) {
    std::vector<const Described*> shown;
    for (const auto& m : g.members)
      if (name.empty() || m.name == name) shown.push_back(&m);
    if (shown.empty()) continue;
    std::printf("%s== %s (%s)\n", found ? "\n" : "", g.title.c_str(), g.where.c_str());
    for (const auto* m : shown) print_member(*m);
    found = true;
  }
  if (!found) {
    std::vector<std::string> known;
    for (const auto& g : groups)
      for (const auto& m : g.members) known.push_back(m.name);
    std::sort(known.begin(), known.end());
    known.erase(std::unique(known.begin(), known.end()), known.end());
    std::string list;
    for (const auto& k : known) list += " " + k;
    throw InputError("", "params",
                     "unknown implementation or preset '" + name + "'; known:" + list);
  }
  return kExitOk;
}

}  // namespace

Runner add_params_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "params",
      "List the parameters of every registered implementation (schedulers, placement policies, "
      "replica dispatch rules, routing sources, arrival processes, length distributions, "
      "assignment policies, GPU/PIM/fabric models) and of every hardware preset: key, type, "
      "default, range and description, as the implementations read them.");
  auto name = std::make_shared<std::string>();
  cmd->add_option("NAME", *name,
                  "Only this implementation or preset (a name registered in several places, "
                  "e.g. `uniform`, is listed in each)");
  cmd->footer(
      "Columns: `default` is the code's default, `required` where there is none, or for a "
      "preset the value the preset sets (an experiment may override any of them); `range` is "
      "[a, b] for inclusive bounds, (a, b] for an exclusive lower bound, a | b for choices.\n"
      "Examples:\n"
      "  sievesim params            every registry\n"
      "  sievesim params zipf       the Zipf routing source\n"
      "  sievesim params h100       the H100 preset with its values\n"
      "Exit codes: 0 success, 2 unknown NAME.");
  return [name] { return run_params(*name); };
}

}  // namespace sievesim::cli
