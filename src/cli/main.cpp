// sievesim: simulate expert-parallel MoE inference on GPU clusters with HBM-PIM.
#include <cstdio>
#include <exception>

#include "base/error.hpp"
#include "base/version.hpp"
#include "cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace sievesim;
  CLI::App app{
      "sievesim: a distributed simulator of Mixture-of-Experts LLM inference on GPU clusters\n"
      "whose HBM stacks compute (HBM-PIM). Describe the cluster, the model (its Hugging Face\n"
      "config.json) and the workload in an experiment YAML file, run it alone or under\n"
      "`mpirun -np R`, and read the HDF5 result with `sievesim report`, h5py or h5dump.\n"
      "Exit codes: 0 success, 1 internal error, 2 bad input.",
      "sievesim"};
  app.set_version_flag("--version", std::string("sievesim ") + kVersion + " (git " + kGitRevision +
                                        ", result schema " + std::to_string(kSchemaVersion) + ")");
  app.require_subcommand(1);
  cli::Runner run = cli::add_run_command(app, argc, argv);
  cli::Runner validate = cli::add_validate_command(app);
  cli::Runner report = cli::add_report_command(app);
  cli::Runner cost = cli::add_cost_command(app);
  cli::Runner stats = cli::add_workload_stats_command(app);
  cli::Runner trace = cli::add_trace_command(app);
  cli::Runner params = cli::add_params_command(app);
  cli::Runner timeline = cli::add_timeline_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "sievesim: error: %s (see sievesim --help)\n", e.what());
    return kExitBadInput;
  }
  try {
    if (app.got_subcommand("run")) return run();
    if (app.got_subcommand("validate")) return validate();
    if (app.got_subcommand("report")) return report();
    if (app.got_subcommand("cost")) return cost();
    if (app.got_subcommand("workload-stats")) return stats();
    if (app.got_subcommand("trace-import")) return trace();
    if (app.got_subcommand("params")) return params();
    if (app.got_subcommand("timeline")) return timeline();
  } catch (const InputError& e) {
    std::fprintf(stderr, "sievesim: error: %s\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sievesim: internal error: %s\n", e.what());
    return kExitInternal;
  }
  return kExitInternal;
}
