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
    std::string format = "auto", input, output;
    std::int64_t experts = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--format", o->format,
                  "flame: FLAME-MoE decode CSVs (DIR/decode/posNN_layerLL.csv.gz), written as "
                  "trace version 1; gpt-oss: one request per .json/.json.gz file (a file or a "
                  "folder tree, sorted path order), written as version 2 (whole requests); "
                  "auto: flame for a folder with decode/, else gpt-oss")
      ->check(CLI::IsMember(trace_formats()))
      ->capture_default_str();
  cmd->add_option("--experts", o->experts,
                  "gpt-oss: routed experts of the recorded model (ids at or above it are an "
                  "error); 0 takes the largest id seen + 1")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 24))
      ->capture_default_str();
  cmd->add_option("input", o->input, "the recorded traces (a folder, or one file for gpt-oss)")
      ->required();
  cmd->add_option("-o,--output", o->output,
                  "the sievesim trace to write (gzip-compressed when it ends in .gz)")
      ->required();
  return [o]() {
    const RoutingTrace t = import_trace(o->format, o->input, o->experts);
    write_trace_file(t, o->output);
    if (t.request_level())
      std::cout << "wrote " << o->output << ": " << t.layers << " layers x " << t.sequences
                << " requests, " << t.tokens << " tokens (longest " << t.positions << "), "
                << t.experts << " experts, top-" << t.topk << std::endl;
    else
      std::cout << "wrote " << o->output << ": " << t.layers << " layers x " << t.sequences
                << " sequences x " << t.positions << " positions, " << t.experts << " experts, top-"
                << t.topk << std::endl;
    return kExitOk;
  };
}

}  // namespace sievesim::cli
