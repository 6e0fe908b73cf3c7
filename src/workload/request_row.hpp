#pragma once
// One request's life on its node, as the batch records it and the result file stores it.
#include <cstdint>

#include "base/time.hpp"

namespace sievesim {

// Times are -1 for what did not happen before the run stopped.
struct RequestRow {
  std::int64_t request = 0, node = 0;
  sim_time_t arrival_ps = 0, admitted_ps = 0, first_token_ps = 0, last_token_ps = 0, finish_ps = 0;
  std::int64_t admitted_iteration = 0;
  std::int64_t prompt_tokens = 0, output_tokens = 0;
  // Tokens emitted after the warm-up iterations and the time of the first of them: TPOT is
  // measured over these only.
  sim_time_t measured_first_ps = 0;
  std::int64_t measured_tokens = 0;
};

}  // namespace sievesim
