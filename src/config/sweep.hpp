#pragma once
// Sweeps: one key with its values (`--sweep KEY=V1,V2` or the `sweep:` section's key/values), or
// a grid of several keys whose cross product is run. Point names are built here so that a run,
// a resumed run and the one-point runs of a job array name the same point the same way.
#include <string>
#include <vector>

namespace sievesim {

struct SweepAxis {
  std::string key;  // dotted, e.g. workload.requests.closed.concurrency
  std::vector<std::string> values;
};

struct SweepPoint {
  // "64" (one key) or "concurrency=64,policy=eplb" (a grid): the run's `sweep_value`, which
  // `report` matches points by across schedulers and files.
  std::string value;
  // "concurrency=64" or "concurrency=64,policy=eplb": the run's name (after "scheduler@").
  std::string label;
  std::vector<std::string> overrides;  // KEY=VALUE, one per axis
};

// Parses one --sweep option, KEY=V1,V2,... Throws InputError naming `option`.
SweepAxis parse_sweep_option(const std::string& text, const std::string& option);

// Throws InputError (file, prefix + key) for an axis without values, a value given twice, a key
// swept twice or the sweep section swept.
void check_sweep(const std::vector<SweepAxis>& axes, const std::string& file,
                 const std::string& prefix);

// The cross product, first axis outermost; one point without overrides when `axes` is empty.
std::vector<SweepPoint> sweep_points(const std::vector<SweepAxis>& axes);

// The keys, comma-separated (the /runs attribute `sweep_key`): grid files with the same keys
// in the same order merge in `report`.
std::string sweep_keys_text(const std::vector<SweepAxis>& axes);

}  // namespace sievesim
