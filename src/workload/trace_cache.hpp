#pragma once
// One copy of each trace file in memory however many components read it: the trace routing
// source and the recorded prompt and output lengths of one experiment read the same file (the
// GPT-OSS-20B trace: 3.5 M routing rows, about 1 s to parse), and a sweep reassembles them per
// point.
#include <memory>
#include <string>

#include "workload/trace.hpp"

namespace sievesim {

// A trace file named in an experiment: relative to the experiment's folder `base_dir` (none:
// the working directory), lexically normal, as shared_trace keys it.
std::string trace_path(const std::string& name, const std::string& base_dir);

// read_trace(path), shared with every other holder of the same (lexically normal) path while
// any holds it, and with the next caller for as long as the last sweep point kept it.
std::shared_ptr<const RoutingTrace> shared_trace(const std::string& path);

}  // namespace sievesim
