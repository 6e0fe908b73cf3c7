// sievesim: simulate expert-parallel MoE inference on GPU clusters with HBM-PIM.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include "base/error.hpp"
#include "base/version.hpp"
#include "cli/commands.hpp"

namespace {

// A run started without mpirun is an MPI singleton. OpenMPI 4.1 then starts its runtime helper
// (an orted it forks) and probes every interconnect's transport, ~0.35 s before the first
// simulated iteration, longer than a small run itself (bench/RESULTS.md, "start-up"). A singleton
// talks only to itself and sievesim spawns nothing, so it needs neither: no helper
// (ess_singleton_isolated), the ob1 messaging layer over the self transport. ~27 ms instead.
// Isolated singletons all call themselves job family 0, so each gets a session directory of its
// own: sharing one, concurrent runs removed each other's files (MPI-IO's shared file pointer)
// or the directory itself during MPI_Init. Settings the user made in the environment win
// (setenv does not overwrite them).
void isolate_singleton() {
  if (std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_RANK"))
    return;  // launched by mpirun or another process manager
  setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
  setenv("OMPI_MCA_pml", "ob1", 0);
  setenv("OMPI_MCA_btl", "self", 0);
  std::error_code ec;
  const auto dir =
      std::filesystem::temp_directory_path(ec) / ("sievesim-singleton-" + std::to_string(getpid()));
  if (!ec) setenv("OMPI_MCA_orte_jobfam_session_dir", dir.c_str(), 0);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sievesim;
  isolate_singleton();
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
