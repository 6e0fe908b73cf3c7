#pragma once
// Writes one run's results into one HDF5 file with parallel HDF5 and collective I/O: every rank
// writes its nodes' rows. The file is written under `<path>.partial` and renamed at the end, so a
// failed run leaves nothing under the final name and a killed one leaves a clearly partial file.
#include <hdf5.h>
#include <mpi.h>

#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "engine/results.hpp"
#include "model/model.hpp"

namespace sievesim {

// One simulated run to store: its experiment and this rank's rows (plus the global totals).
struct RunOutput {
  std::string name;  // its group under /runs: "sieve", "concurrency=64", "sieve@concurrency=64"
  std::string scheduler;
  std::string sweep_value;  // the swept key's value ("" outside a sweep)
  const Experiment* experiment = nullptr;
  RankResults results;
};

struct RunInfo {
  std::string command_line;
  std::string date_utc;  // ISO 8601, taken on rank 0
  int ranks = 1;
  std::int64_t nodes_per_rank = 1;
  std::string baseline;   // comparisons: the scheduler ratios are taken against
  std::string sweep_key;  // sweeps: the dotted key that varies
};

// The result file, written collectively as runs finish (so a sweep never holds more than one
// run's rows) under PATH.partial, and renamed to PATH by commit(). One run: its tables at the
// root. Several (`multi`: a comparison and/or a sweep): one group per run under /runs.
class ResultFile {
 public:
  // `x`: the (closed) settings of the first run; `model`: the model they load.
  ResultFile(const std::string& path, const Experiment& x, const ModelSpec& model,
             const RunInfo& info, bool multi, MPI_Comm comm);
  ~ResultFile();
  ResultFile(const ResultFile&) = delete;
  ResultFile& operator=(const ResultFile&) = delete;
  void add(const RunOutput& run);
  void commit(double wall_time_s);

 private:
  std::string path_, tmp_;
  bool multi_;
  MPI_Comm comm_;
  hid_t file_ = -1, runs_ = -1;
  std::vector<std::string> schedulers_;
};

}  // namespace sievesim
