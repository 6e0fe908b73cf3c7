#include <iostream>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "io/report.hpp"

namespace sievesim::cli {

Runner add_report_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "report",
      "Print the summary (throughput, interactivity, TPOT) and the per-phase time breakdown "
      "(attention, dispatch, experts, combine; GPU and PIM busy time; the GPU/PIM expert split) "
      "of one or more result files.");
  auto files = std::make_shared<std::vector<std::string>>();
  cmd->add_option("results", *files, "HDF5 result files written by `sievesim run`")
      ->required()
      ->type_name("OUT.h5");
  return [files]() {
    for (std::size_t i = 0; i < files->size(); ++i) {
      if (i) std::cout << "\n";
      print_report((*files)[i], std::cout);
    }
    return kExitOk;
  };
}

}  // namespace sievesim::cli
