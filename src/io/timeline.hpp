#pragma once
// `sievesim timeline`: the per-layer rows of a result (/layers) as a Chrome trace-event file that
// ui.perfetto.dev and chrome://tracing open: one process per simulated node, one track (thread)
// each for the layers' critical path, the GPU, the PIM and the two link directions.
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace sievesim {

// An inclusive range of iterations or nodes.
struct IndexRange {
  std::int64_t first = 0, last = std::numeric_limits<std::int64_t>::max();
  bool contains(std::int64_t i) const { return i >= first && i <= last; }
};

struct TimelineOptions {
  std::string point;  // run under /runs (`sievesim report` names them); empty: the only run
  IndexRange iterations, nodes;
};

// Parses "A:B", "A:", ":B" or "A" (non-negative, A <= B); `option` names it in errors.
IndexRange parse_index_range(const std::string& text, const std::string& option);

// Reads one run of the result file `path` and returns its trace. Throws InputError when the file
// is not a result, the run has no /layers (output.layers: false) or the ranges select nothing.
nlohmann::json timeline_trace(const std::string& path, const TimelineOptions& options);

}  // namespace sievesim
