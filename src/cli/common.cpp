#include "cli/commands.hpp"

#include <limits>

namespace sievesim::cli {

void add_param_option(CLI::App& cmd, std::vector<std::string>& params, const char* help) {
  cmd.add_option(
         "-p,--param", params,
         help ? help
              : "Override one key of the experiment, as key.path=value (value parsed as YAML), "
                "e.g. -p system.nodes=8 -p scheduler.name=allexp -p "
                "system.gpu.hbm_bandwidth_GBps=4000. Repeatable; applied before checking, so an "
                "unknown key is an error.")
      ->allow_extra_args(false)
      ->type_name("KEY=VALUE");
}

namespace {
CLI::Validator integer_in(long long lo, long long hi, std::string what) {
  return CLI::Validator(
      [lo, hi, what](std::string& s) -> std::string {
        std::size_t used = 0;
        long long v = 0;
        try {
          v = std::stoll(s, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != s.size() || used == 0 || v < lo || v > hi)
          return "expected " + what + ", got '" + s + "'";
        return {};
      },
      what);
}

constexpr long long kNoBound = std::numeric_limits<long long>::max();
}  // namespace

CLI::Validator positive_integer() {
  return integer_in(1, kNoBound, "a positive integer");
}
CLI::Validator non_negative_integer() {
  return integer_in(0, kNoBound, "a non-negative integer");
}
CLI::Validator integer_between(long long lo, long long hi) {
  return integer_in(lo, hi,
                    "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

}  // namespace sievesim::cli
