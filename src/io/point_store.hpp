#pragma once
// The finished points of a run, durable one by one. Every point (a run of a sweep or a
// comparison, or the one run) is written collectively to a file of its own in OUT.h5.partial/,
// as a complete result file, renamed into place when closed; at the end rank 0 copies them, in
// plan order, into OUT.h5.
//
// Why a file per point rather than one file closed and reopened after each point: HDF5 cannot
// update a file atomically, so a SIGKILL (Slurm's after its grace time, the OOM killer) that
// lands while a point is being appended can leave the whole file unreadable, and with it every
// point finished before. A point file is never opened for writing again once it has its final
// name, so a kill at any moment loses at most the point in progress. The price is one more copy
// of the results at the end (raw chunks, no recompression).
#include <mpi.h>

#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "io/h5_writer.hpp"
#include "model/model.hpp"

namespace sievesim {

// One point of the plan as the store knows it.
struct StoredPoint {
  std::string name;       // its group under /runs ("" for a single run)
  std::string scheduler;  // for the file's `scheduler` attribute
  std::string config;     // its resolved configuration (what a finished point must match)
};

class PointStore {
 public:
  explicit PointStore(const std::string& out_path);
  const std::string& dir() const { return dir_; }
  // Where point `name` is written (its name, with characters a file name should not hold
  // escaped as %XX).
  std::string point_path(const std::string& name) const;

  // Rank 0, before any point runs. Without `resume`: removes what an earlier run left (returns
  // the finished points it discarded). With it: for each planned
  // point, the file that already holds it finished ("" where it is still to run), from the
  // directory or else from OUT.h5. Throws InputError when a finished point's configuration
  // differs from the plan's or the directory holds a point the plan lacks. Creates nothing
  // (a refused resume leaves no directory behind): create_dir() does, once all is well.
  int start_fresh() const;
  std::vector<std::string> find_finished(const std::vector<StoredPoint>& plan) const;
  void create_dir() const;

  // Rank 0, once every point is finished (`sources[i]` holds point i): writes OUT.h5 through a
  // temporary name, with the header of `x` and `info` and the runs in plan order, then removes
  // the directory. `wall_time_s`: the sum of the points' own.
  void merge(const std::vector<StoredPoint>& plan, const std::vector<std::string>& sources,
             const Experiment& x, const ModelSpec& model, const RunInfo& info, bool multi) const;

 private:
  std::string out_, dir_;
};

}  // namespace sievesim
