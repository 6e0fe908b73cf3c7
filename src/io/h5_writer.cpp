#include "io/h5_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "base/error.hpp"
#include "base/h5_util.hpp"
#include "base/version.hpp"

namespace sievesim {
namespace {

using h5::Handle;

constexpr hsize_t kChunkRows = 16384;
constexpr unsigned kDeflateLevel = 4;

// One table: a group with one 1-D int64 dataset per column. Each rank writes its rows at its
// offset in one collective write per column.
template <class Row>
void write_table(hid_t file, const char* group_name, const char* description,
                 const std::vector<ColumnDef<Row>>& cols, const std::vector<Row>& rows,
                 MPI_Comm comm) {
  const auto n_local = static_cast<long long>(rows.size());
  long long offset = 0, total = 0;
  MPI_Exscan(&n_local, &offset, 1, MPI_LONG_LONG, MPI_SUM, comm);
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) offset = 0;  // MPI_Exscan leaves rank 0's result undefined
  MPI_Allreduce(&n_local, &total, 1, MPI_LONG_LONG, MPI_SUM, comm);

  Handle group(H5Gcreate2(file, group_name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
               "H5Gcreate2");
  h5::write_attr(group, "description", std::string(description));
  h5::write_attr(group, "rows", static_cast<std::int64_t>(total));

  const hsize_t dims = static_cast<hsize_t>(total);
  Handle filespace(H5Screate_simple(1, &dims, nullptr), H5Sclose, "H5Screate_simple");
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
  if (total > 0) {
    const hsize_t chunk = std::min<hsize_t>(dims, kChunkRows);
    h5::check_status(H5Pset_chunk(dcpl, 1, &chunk), "H5Pset_chunk");
    h5::check_status(H5Pset_deflate(dcpl, kDeflateLevel), "H5Pset_deflate");
  }
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "H5Pcreate");
  h5::check_status(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");

  const hsize_t count = static_cast<hsize_t>(n_local), start = static_cast<hsize_t>(offset);
  Handle memspace(H5Screate_simple(1, &count, nullptr), H5Sclose, "H5Screate_simple");
  std::vector<std::int64_t> buf(rows.size());
  for (const auto& c : cols) {
    Handle d(H5Dcreate2(group, c.name, H5T_STD_I64LE, filespace, H5P_DEFAULT, dcpl, H5P_DEFAULT),
             H5Dclose, "H5Dcreate2");
    h5::write_attr(d, "units", std::string(c.units));
    h5::write_attr(d, "description", std::string(c.description));
    for (std::size_t i = 0; i < rows.size(); ++i) buf[i] = c.get(rows[i]);
    Handle sel(H5Scopy(filespace), H5Sclose, "H5Scopy");
    if (count > 0) {
      h5::check_status(H5Sselect_hyperslab(sel, H5S_SELECT_SET, &start, nullptr, &count, nullptr),
                       "H5Sselect_hyperslab");
    } else {
      h5::check_status(H5Sselect_none(sel), "H5Sselect_none");
      h5::check_status(H5Sselect_none(memspace), "H5Sselect_none");
    }
    if (total > 0)
      h5::check_status(H5Dwrite(d, H5T_NATIVE_INT64, memspace, sel, dxpl, buf.data()), "H5Dwrite");
  }
}

void write_summary(hid_t file, const Summary& s) {
  Handle g(H5Gcreate2(file, "summary", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
           "H5Gcreate2");
  h5::write_attr(g, "description",
                 std::string("headline figures; units are in the attribute names"));
  h5::write_attr(g, "nodes", s.nodes);
  h5::write_attr(g, "iterations", s.iterations);
  h5::write_attr(g, "warmup_iterations", s.warmup_iterations);
  h5::write_attr(g, "requests", s.requests);
  h5::write_attr(g, "requests_finished", s.requests_finished);
  h5::write_attr(g, "output_tokens", s.output_tokens);
  h5::write_attr(g, "prefill_tokens", s.prefill_tokens);
  h5::write_attr(g, "makespan_ps", s.makespan_ps);
  h5::write_attr(g, "window_ps", s.window_ps);
  h5::write_attr(g, "mean_iteration_ps", s.mean_iteration_ps);
  h5::write_attr(g, "throughput_tokens_per_s", s.throughput_tokens_per_s());
  h5::write_attr(g, "throughput_tokens_per_s_per_gpu", s.throughput_tokens_per_s_per_gpu());
  h5::write_attr(g, "interactivity_tokens_per_s_per_user", s.interactivity_tokens_per_s_per_user());
  for (const auto& [name, p] : {std::pair{"ttft", s.ttft}, {"tpot", s.tpot}, {"e2e", s.e2e}}) {
    const std::string n(name);
    h5::write_attr(g, n + "_mean_ps", p.mean);
    h5::write_attr(g, n + "_p50_ps", p.p50);
    h5::write_attr(g, n + "_p90_ps", p.p90);
    h5::write_attr(g, n + "_p99_ps", p.p99);
    h5::write_attr(g, n + "_count", p.count);
  }
  h5::write_attr(g, "records_dispatched", s.records_dispatched);
  h5::write_attr(g, "records_combined", s.records_combined);
  // Energy over the measured window (docs/energy.md).
  const Summary::Energy& e = s.energy;
  h5::write_attr(g, "energy_gpu_compute_J", e.gpu_compute_J);
  h5::write_attr(g, "energy_gpu_hbm_J", e.gpu_hbm_J);
  h5::write_attr(g, "energy_pim_J", e.pim_J);
  h5::write_attr(g, "energy_link_J", e.link_J);
  h5::write_attr(g, "energy_static_J", e.static_J);
  h5::write_attr(g, "energy_refresh_J", e.refresh_J);
  h5::write_attr(g, "energy_total_J", e.total_J());
  h5::write_attr(g, "joules_per_output_token", s.joules_per_output_token());
  h5::write_attr(g, "output_tokens_per_joule", s.output_tokens_per_joule());
  h5::write_attr(g, "power_per_gpu_W", s.power_per_gpu_W());
  h5::write_attr(g, "power_per_pim_stack_W", s.power_per_pim_stack_W());
  h5::write_attr(g, "peak_power_per_node_W", e.peak_node_W);
  h5::write_attr(g, "pim_stacks_per_node", e.stacks);
  if (s.faults) {
    h5::write_attr(g, "records_dropped", s.records_dropped);
    h5::write_attr(g, "requests_requeued", s.requests_requeued);
    h5::write_attr(g, "requests_dropped", s.requests_dropped);
  }
}

// The tables and summary of one run, under `parent`.
void write_run(hid_t parent, const RunOutput& run, MPI_Comm comm) {
  write_summary(parent, run.results.summary);
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  static const std::vector<IterationRow> kNone;
  write_table(parent, "iterations", "one row per iteration, over all nodes", iteration_columns(),
              rank == 0 ? run.results.totals : kNone, comm);
  if (run.experiment->output_layers)
    write_table(parent, "layers", "one row per (node, iteration, layer), node-major",
                layer_columns(), run.results.layers, comm);
  write_table(parent, "requests", "one row per request", request_columns(), run.results.requests,
              comm);
  static const std::vector<PlacementRow> kNoPlacements;
  write_table(parent, "placement", "one row per placement the coordinator made",
              placement_columns(), rank == 0 ? run.results.placements : kNoPlacements, comm);
  static const std::vector<ExpertLoadRow> kNoLoad;
  write_table(parent, "expert_load", "one row per (MoE layer, routed expert)",
              expert_load_columns(), rank == 0 ? run.results.expert_load : kNoLoad, comm);
  static const std::vector<FaultRow> kNoFaults;
  if (run.results.summary.faults)
    write_table(parent, "faults", "one row per node failure or rejoin", fault_columns(),
                rank == 0 ? run.results.faults : kNoFaults, comm);
}

// Writing is collective: a rank that failed cannot rejoin the others' next collective call, so
// the whole job stops, leaving at most a clearly partial file.
template <class Fn>
void or_abort(const std::string& tmp, MPI_Comm comm, Fn fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    std::fprintf(stderr, "sievesim: error: writing %s failed on rank %d: %s\n", tmp.c_str(), rank,
                 e.what());
    MPI_Abort(comm, kExitInternal);
  }
}

}  // namespace

hid_t write_file_header(hid_t file, const Experiment& x, const ModelSpec& model,
                        const RunInfo& info, bool multi) {
  // Metadata calls are collective in parallel HDF5: every rank writes identical attributes.
  h5::write_attr(file, "software", std::string("sievesim"));
  h5::write_attr(file, "version", std::string(kVersion));
  h5::write_attr(file, "git_revision", std::string(kGitRevision));
  h5::write_attr(file, "date", info.date_utc);
  h5::write_attr(file, "schema_version", static_cast<std::int64_t>(kSchemaVersion));
  h5::write_attr(file, "config", x.resolved_yaml);
  h5::write_attr(file, "config_file", x.file);
  h5::write_attr(file, "model_name", model.name);
  h5::write_attr(file, "model_config_json", model.config_json);
  h5::write_attr(file, "command_line", info.command_line);
  h5::write_attr(file, "ranks", static_cast<std::int64_t>(info.ranks));
  h5::write_attr(file, "nodes", x.nodes);
  h5::write_attr(file, "nodes_per_rank", info.nodes_per_rank);
  if (!multi) return -1;
  // Runs of a comparison or a sweep: one group each under /runs, in the order run.
  Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "H5Pcreate");
  h5::check_status(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
                   "H5Pset_link_creation_order");
  const hid_t runs = H5Gcreate2(file, "runs", H5P_DEFAULT, gcpl, H5P_DEFAULT);
  if (runs < 0) throw h5::Error("H5Gcreate2(runs) failed");
  h5::write_attr(runs, "baseline", info.baseline);
  h5::write_attr(runs, "sweep_key", info.sweep_key);
  return runs;
}

void write_file_footer(hid_t file, const std::vector<std::string>& schedulers, double wall_time_s) {
  std::vector<std::string> unique;
  for (const auto& s : schedulers)
    if (std::find(unique.begin(), unique.end(), s) == unique.end()) unique.push_back(s);
  std::string list;
  for (const auto& s : unique) list += (list.empty() ? "" : ",") + s;
  h5::write_attr(file, "scheduler", list);
  h5::write_attr(file, "wall_time_s", wall_time_s);
}

Handle result_file_access(MPI_Comm comm) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate");
  if (comm != MPI_COMM_NULL)
    h5::check_status(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL), "H5Pset_fapl_mpio");
  // The 1.8 file format stores large attributes densely: a model's config.json or the resolved
  // configuration may exceed the 64 KiB limit of compact attribute storage.
  h5::check_status(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST),
                   "H5Pset_libver_bounds");
  return fapl;
}

ResultFile::ResultFile(const std::string& path, const Experiment& x, const ModelSpec& model,
                       const RunInfo& info, bool multi, MPI_Comm comm)
    : path_(path), tmp_(path + ".partial"), multi_(multi), comm_(comm) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  or_abort(tmp_, comm_, [&] {
    const Handle fapl = result_file_access(comm_);
    file_ = H5Fcreate(tmp_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (file_ < 0) throw h5::Error("H5Fcreate(" + tmp_ + ") failed");
    runs_ = write_file_header(file_, x, model, info, multi_);
  });
}

ResultFile::~ResultFile() {
  if (runs_ >= 0) H5Gclose(runs_);
  if (file_ >= 0) H5Fclose(file_);
}

void ResultFile::add(const RunOutput& run) {
  schedulers_.push_back(run.scheduler);
  or_abort(tmp_, comm_, [&] {
    if (!multi_) {
      write_run(file_, run, comm_);
      return;
    }
    Handle g(H5Gcreate2(runs_, run.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
             "H5Gcreate2");
    h5::write_attr(g, "scheduler", run.scheduler);
    h5::write_attr(g, "sweep_value", run.sweep_value);
    h5::write_attr(g, "config", run.experiment->resolved_yaml);
    write_run(g, run, comm_);
  });
}

void ResultFile::commit(double wall_time_s) {
  or_abort(tmp_, comm_, [&] {
    write_file_footer(file_, schedulers_, wall_time_s);
    h5::check_status(H5Fflush(file_, H5F_SCOPE_GLOBAL), "H5Fflush");
    if (runs_ >= 0) H5Gclose(runs_);
    runs_ = -1;
    h5::check_status(H5Fclose(file_), "H5Fclose");
    file_ = -1;
  });
  MPI_Barrier(comm_);
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  int renamed = 1;
  std::string error;
  if (rank == 0) {
    std::error_code ec;
    std::filesystem::rename(tmp_, path_, ec);
    if (ec) {
      error = "cannot rename " + tmp_ + " to " + path_ + ": " + ec.message();
      std::filesystem::remove(tmp_, ec);
      renamed = 0;
    }
  }
  MPI_Bcast(&renamed, 1, MPI_INT, 0, comm_);
  if (!renamed)
    throw std::runtime_error("writing " + path_ + " failed" + (error.empty() ? "" : ": " + error));
}

}  // namespace sievesim
