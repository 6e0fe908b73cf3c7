#include "base/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace sievesim {

void setup_logging(int rank, bool all_ranks, const std::string& level) {
  auto logger = spdlog::stderr_color_mt("sievesim");
  logger->set_pattern("[%H:%M:%S.%e] [rank " + std::to_string(rank) + "] [%^%l%$] %v");
  auto lvl = spdlog::level::from_str(level);
  if (rank != 0 && !all_ranks) lvl = spdlog::level::off;
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
}

}  // namespace sievesim
