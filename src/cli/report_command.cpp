#include <iostream>

#include "base/error.hpp"
#include "cli/commands.hpp"
#include "io/report.hpp"

namespace sievesim::cli {

Runner add_report_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "report",
      "Print, for each result file, the summary (throughput, interactivity, TTFT, TPOT), the "
      "per-phase time breakdown (attention, dispatch, experts, combine; GPU and PIM busy time; "
      "the GPU/PIM expert split) and, for files with several runs, the comparison or sweep "
      "table. Given several files, it also merges their runs: runs of the same model, cluster "
      "size and swept key form one table, with ratios against the baseline scheduler (so the "
      "points of a Slurm job array read as one sweep).");
  auto files = std::make_shared<std::vector<std::string>>();
  auto opt = std::make_shared<ReportOptions>();
  cmd->add_option("results", *files, "HDF5 result files written by `sievesim run`")
      ->required()
      ->type_name("OUT.h5");
  cmd->add_option("--baseline", opt->baseline,
                  "Scheduler the ratios are taken against (default: the first file's baseline, "
                  "as chosen at `run --baseline`; over several files, sieve when present)")
      ->type_name("NAME");
  cmd->add_option("--csv", opt->csv_dir,
                  "Also write every table as CSV into DIR (created): summary.csv (one row per "
                  "run, every /summary figure in its file's units), phases.csv (mean per "
                  "node-layer), layers.csv (per layer index), compare.csv (ratios of the "
                  "baseline over each run at the same point)")
      ->type_name("DIR");
  cmd->add_flag("--layers", opt->per_layer,
                "Print the per-layer GPU/PIM split table of every run (needs /layers)");
  return [files, opt]() {
    print_reports(*files, *opt, std::cout);
    return kExitOk;
  };
}

}  // namespace sievesim::cli
