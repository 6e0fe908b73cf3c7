#pragma once
// spdlog setup: rank-prefixed lines on stderr; ranks other than 0 are quiet unless asked.
#include <string>

namespace sievesim {

void setup_logging(int rank, bool all_ranks, const std::string& level);

}  // namespace sievesim
