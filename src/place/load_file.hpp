#pragma once
// Per-(layer, expert) token loads given by the user (`placement.load_file`): a CSV with lines
// `layer,expert,tokens` (the columns of a result's /expert_load; header and # comments allowed)
// or a sievesim result file whose /expert_load is read directly.
#include <cstdint>
#include <string>
#include <vector>

#include "model/model.hpp"

namespace sievesim {

struct GivenLoad {
  std::vector<double> tokens;   // [layer * experts + expert]; dense layers stay 0
  std::int64_t iterations = 1;  // iterations the counts cover (a result: its measured ones)
};

// Throws InputError naming the file and the line (or dataset) at fault.
GivenLoad read_load_file(const std::string& path, const ModelSpec& model);

}  // namespace sievesim
