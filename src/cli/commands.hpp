#pragma once
// The subcommands of the sievesim executable. Each registers its options on a CLI11 subcommand
// and returns the process exit code when run.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace sievesim::cli {

using Runner = std::function<int()>;

Runner add_run_command(CLI::App& app, int& argc, char**& argv);
Runner add_validate_command(CLI::App& app);
Runner add_report_command(CLI::App& app);
Runner add_cost_command(CLI::App& app);
Runner add_workload_stats_command(CLI::App& app);
Runner add_trace_command(CLI::App& app);
Runner add_params_command(CLI::App& app);
Runner add_timeline_command(CLI::App& app);

// The -p/--param option shared by the commands that read an experiment.
// -p KEY=VALUE; `help` replaces the experiment-override text (commands that take a preset).
void add_param_option(CLI::App& cmd, std::vector<std::string>& params, const char* help = nullptr);

// Validators whose messages say what was expected (CLI11's numeric ranges print 1.8e308).
CLI::Validator positive_integer();
CLI::Validator non_negative_integer();
// An integer in [lo, hi], for options whose work grows with their value.
CLI::Validator integer_between(long long lo, long long hi);

}  // namespace sievesim::cli
