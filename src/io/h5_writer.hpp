#pragma once
// Writes one run's results into one HDF5 file with parallel HDF5 and collective I/O: every rank
// writes its nodes' rows. The file is written under `<path>.partial` and renamed at the end, so a
// failed run leaves nothing under the final name and a killed one leaves a clearly partial file.
#include <hdf5.h>
#include <mpi.h>

#include <string>
#include <vector>

#include "base/h5_util.hpp"
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

// The root attributes and, for several runs, the /runs group (returned; -1 for one run) of a
// result file: the same in a file written collectively and in one merged on rank 0.
hid_t write_file_header(hid_t file, const Experiment& x, const ModelSpec& model,
                        const RunInfo& info, bool multi);
// The attributes known once every run is in: the schedulers (distinct, in order) and the time.
void write_file_footer(hid_t file, const std::vector<std::string>& schedulers, double wall_time_s);
// The file access properties of a result file: MPI-IO on `comm`, or serial for MPI_COMM_NULL.
h5::Handle result_file_access(MPI_Comm comm);

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
