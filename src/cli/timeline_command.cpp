// `sievesim timeline`: a run's /layers as a Chrome trace-event JSON file for ui.perfetto.dev.
#include <filesystem>
#include <fstream>

#include "base/error.hpp"
#include "cli/commands.hpp"
#include "io/timeline.hpp"

namespace sievesim::cli {
namespace {

struct TimelineArgs {
  std::string result, out, point, iterations, nodes;
};

int run_timeline(const TimelineArgs& a) {
  TimelineOptions o;
  o.point = a.point;
  if (!a.iterations.empty()) o.iterations = parse_index_range(a.iterations, "--iterations");
  if (!a.nodes.empty()) o.nodes = parse_index_range(a.nodes, "--nodes");
  namespace fs = std::filesystem;
  const fs::path out(a.out);
  const fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  if (!fs::is_directory(dir))
    throw InputError("", "-o", "directory '" + dir.string() + "' does not exist");
  if (fs::is_directory(out)) throw InputError("", "-o", "'" + a.out + "' is a directory");
  const auto trace = timeline_trace(a.result, o);
  // Written under a temporary name: a failed export leaves nothing under the final one.
  const std::string partial = a.out + ".partial";
  {
    std::ofstream f(partial);
    f << trace.dump() << '\n';
    if (!f) {
      fs::remove(partial);
      throw InputError("", "-o", "cannot write '" + partial + "'");
    }
  }
  fs::rename(partial, out);
  return kExitOk;
}

}  // namespace

Runner add_timeline_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "timeline",
      "Export one run of a result file as a Chrome trace-event JSON file, to open in "
      "ui.perfetto.dev (or chrome://tracing). Each simulated node is a process with five tracks: "
      "'layers (critical path)' (iteration > layer > its phases attention + router, dispatch, "
      "experts, combine, cut at the /layers instants), 'GPU' and 'PIM' (the phases each unit "
      "runs: attention where the scheduler puts it, the experts when the unit ran any, a dense "
      "layer's FFN on the GPU), 'link send' and 'link recv' (the dispatch and combine windows). "
      "/layers records instants and busy totals per layer, not each kernel or message: a slice "
      "spans a phase, its args carry the busy times, tokens and bytes. The run must have been "
      "made with output.layers: true. Times are simulated microseconds.");
  auto a = std::make_shared<TimelineArgs>();
  cmd->add_option("result", a->result, "HDF5 result file written by `sievesim run`")
      ->required()
      ->type_name("RESULT.h5");
  cmd->add_option("-o,--output", a->out, "the trace file to write (JSON)")
      ->required()
      ->type_name("TRACE.json");
  cmd->add_option("--point", a->point,
                  "the run of a comparison or sweep, as `sievesim report` names it (sieve, "
                  "concurrency=64, sieve@concurrency=64); needed when the file holds several")
      ->type_name("NAME");
  cmd->add_option("--iterations", a->iterations,
                  "iterations to export, A:B inclusive (A:, :B and A also work; default: all); "
                  "a few keep the file small, each costs about 2 KB per layer and node")
      ->type_name("A:B");
  cmd->add_option("--nodes", a->nodes, "nodes to export, A:B inclusive (default: all)")
      ->type_name("A:B");
  return [a]() { return run_timeline(*a); };
}

}  // namespace sievesim::cli
