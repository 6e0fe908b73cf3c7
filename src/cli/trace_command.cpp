#include <fstream>
#include <iostream>

#include "base/error.hpp"
#include "cli/commands.hpp"
#include "workload/trace.hpp"

namespace sievesim::cli {

Runner add_trace_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "trace-import",
      "Convert recorded routing into the sievesim trace format (see src/workload/trace.hpp and "
      "README), for `workload.routing: {source: trace, trace: {path: ...}}`.");
  struct Opts {
    std::string format = "flame", input, output;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--format", o->format,
                  "flame: FLAME-MoE decode CSVs (DIR/decode/posNN_layerLL.csv.gz)")
      ->check(CLI::IsMember({"flame"}))
      ->capture_default_str();
  cmd->add_option("input", o->input, "the recorded traces (a folder for flame)")->required();
  cmd->add_option("-o,--output", o->output, "the sievesim trace to write")->required();
  return [o]() {
    const RoutingTrace t = import_flame_decode(o->input);
    std::ofstream out(o->output + ".partial");
    if (!out) throw InputError(o->output, "-o", "cannot write");
    write_trace(t, out);
    out.close();
    if (!out) throw InputError(o->output, "-o", "write failed");
    std::rename((o->output + ".partial").c_str(), o->output.c_str());
    std::cout << "wrote " << o->output << ": " << t.layers << " layers x " << t.sequences
              << " sequences x " << t.positions << " positions, " << t.experts << " experts, top-"
              << t.topk << std::endl;
    return kExitOk;
  };
}

}  // namespace sievesim::cli
