#include "cli/commands.hpp"

namespace sievesim::cli {

void add_param_option(CLI::App& cmd, std::vector<std::string>& params) {
  cmd.add_option(
         "-p,--param", params,
         "Override one key of the experiment, as key.path=value (value parsed as YAML), "
         "e.g. -p system.nodes=8 -p scheduler.name=allexp -p system.gpu.hbm_bandwidth_GBps=4000. "
         "Repeatable; applied before checking, so an unknown key is an error.")
      ->allow_extra_args(false)
      ->type_name("KEY=VALUE");
}

}  // namespace sievesim::cli
