#include "io/report.hpp"
#include "io/report_tables.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/time.hpp"
#include "io/h5_util.hpp"

namespace sievesim {
namespace {

using h5::Handle;

void line(std::ostream& out, const std::string& label, const std::string& value) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "  %-38s %s\n", label.c_str(), value.c_str());
  out << buf;
}

}  // namespace

void print_run(hid_t file, hid_t run, const std::string& scheduler, std::ostream& out);

void print_report_unchecked(const std::string& path, std::ostream& out) {
  if (!std::filesystem::exists(path)) throw InputError(path, "", "no such result file");
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InputError(path, "", "not an HDF5 file");
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "H5Fopen");
  if (!h5::has_attr(file, "software") || h5::read_attr_string(file, "software") != "sievesim")
    throw InputError(path, "", "not a sievesim result file (no software=sievesim attribute)");
  out << "sievesim result " << path << "\n";
  if (H5Lexists(file, "runs", H5P_DEFAULT) <= 0) {
    print_run(file, file, h5::read_attr_string(file, "scheduler"), out);
  } else {
    Handle runs(H5Gopen2(file, "runs", H5P_DEFAULT), H5Gclose, "H5Gopen2(runs)");
    const std::string baseline = h5::read_attr_string(runs, "baseline");
    const std::string sweep_key = h5::read_attr_string(runs, "sweep_key");
    H5G_info_t info;
    h5::check_status(H5Gget_info(runs, &info), "H5Gget_info");
    std::vector<RunRow> rows;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      char name[256];
      if (H5Lget_name_by_idx(runs, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, name, sizeof name,
                             H5P_DEFAULT) < 0)
        throw h5::Error("H5Lget_name_by_idx failed");
      Handle run(H5Gopen2(runs, name, H5P_DEFAULT), H5Gclose, "H5Gopen2(run)");
      if (sweep_key.empty()) {
        out << "== " << name << " ==\n";
        print_run(file, run, name, out);
      }
      rows.push_back(read_run_row(run));
    }
    if (sweep_key.empty())
      print_comparison(rows, baseline, out);
    else
      print_sweep(rows, sweep_key, baseline, out);
  }
  line(out, "wall time", fmt("%.2f s", h5::read_attr_double(file, "wall_time_s")));
}

void print_report(const std::string& path, std::ostream& out) {
  try {
    print_report_unchecked(path, out);
  } catch (const h5::Error& e) {
    // Any HDF5 failure here means the file is not a complete sievesim result (truncated,
    // written by another program, an older schema): bad input, not a bug.
    throw InputError(path, "", std::string("not a readable sievesim result (") + e.what() + ")");
  }
}

// The summary and breakdown of one run stored under `run` (the file root, or /runs/<name>).
void print_run(hid_t file, hid_t run, const std::string& scheduler, std::ostream& out) {
  Handle summary(H5Gopen2(run, "summary", H5P_DEFAULT), H5Gclose, "H5Gopen2(summary)");
  line(out, "model", h5::read_attr_string(file, "model_name"));
  line(out, "scheduler", scheduler);
  line(out, "nodes (GPUs)", std::to_string(h5::read_attr_int(summary, "nodes")));
  line(out, "ranks x nodes per rank",
       std::to_string(h5::read_attr_int(file, "ranks")) + " x " +
           std::to_string(h5::read_attr_int(file, "nodes_per_rank")));
  line(out, "iterations (warm-up)",
       std::to_string(h5::read_attr_int(summary, "iterations")) + " (" +
           std::to_string(h5::read_attr_int(summary, "warmup_iterations")) + ")");
  line(out, "requests finished",
       std::to_string(h5::read_attr_int(summary, "requests_finished")) + " of " +
           std::to_string(h5::read_attr_int(summary, "requests")));
  line(out, "output / prefill tokens (measured)",
       std::to_string(h5::read_attr_int(summary, "output_tokens")) + " / " +
           std::to_string(h5::read_attr_int(summary, "prefill_tokens")));
  line(out, "simulated time",
       fmt("%.3f ms", static_cast<double>(h5::read_attr_int(summary, "makespan_ps")) * 1e-9));
  line(out, "throughput (tokens/s per GPU)",
       fmt("%.1f", h5::read_attr_double(summary, "throughput_tokens_per_s_per_gpu")));
  line(out, "throughput (tokens/s, all GPUs)",
       fmt("%.1f", h5::read_attr_double(summary, "throughput_tokens_per_s")));
  line(out, "interactivity (tokens/s per user)",
       fmt("%.2f", h5::read_attr_double(summary, "interactivity_tokens_per_s_per_user")));
  line(out, "mean iteration time",
       fmt("%.1f us", static_cast<double>(h5::read_attr_int(summary, "mean_iteration_ps")) * 1e-6));
  auto us = [&](const char* key) {
    return fmt("%.1f", static_cast<double>(h5::read_attr_int(summary, key)) * 1e-6);
  };
  for (const char* what : {"ttft", "tpot"}) {
    const std::string w(what);
    const std::string label =
        (w == "ttft" ? "TTFT" : "TPOT") + std::string(" mean / p50 / p99 (us)");
    if (h5::read_attr_int(summary, (w + "_count").c_str()) == 0)
      line(out, label, "- (none measured after warm-up)");
    else
      line(out, label,
           us((w + "_mean_ps").c_str()) + " / " + us((w + "_p50_ps").c_str()) + " / " +
               us((w + "_p99_ps").c_str()));
  }

  if (H5Lexists(run, "layers", H5P_DEFAULT) <= 0) return;  // output.layers: false
  Handle layers(H5Gopen2(run, "layers", H5P_DEFAULT), H5Gclose, "H5Gopen2(layers)");
  auto col = [&](const char* n) { return h5::read_column(layers, n); };
  const auto start = col("start_ps"), attn = col("attention_end_ps"), disp = col("dispatch_end_ps"),
             exp = col("experts_end_ps"), end = col("end_ps"), gpu = col("gpu_busy_ps"),
             pim = col("pim_busy_ps"), sched = col("sched_ps"), egpu = col("experts_gpu"),
             epim = col("experts_pim"), tgpu = col("tokens_gpu"), tpim = col("tokens_pim"),
             bytes = col("bytes_sent");
  const std::size_t n = start.size();
  if (n == 0) return;
  double phase[4] = {0, 0, 0, 0}, total = 0, gpu_b = 0, pim_b = 0, sched_b = 0;
  double e_gpu = 0, e_pim = 0, t_gpu = 0, t_pim = 0, sent = 0;
  for (std::size_t i = 0; i < n; ++i) {
    // Phases are successive milestones of the layer's critical path; with overlap a later
    // milestone may precede an earlier one, which counts as zero.
    const sim_time_t a = attn[i], d = std::max(disp[i], a), e = std::max(exp[i], d),
                     f = std::max(end[i], e);
    phase[0] += static_cast<double>(a - start[i]);
    phase[1] += static_cast<double>(d - a);
    phase[2] += static_cast<double>(e - d);
    phase[3] += static_cast<double>(f - e);
    total += static_cast<double>(end[i] - start[i]);
    gpu_b += static_cast<double>(gpu[i]);
    pim_b += static_cast<double>(pim[i]);
    sched_b += static_cast<double>(sched[i]);
    e_gpu += static_cast<double>(egpu[i]);
    e_pim += static_cast<double>(epim[i]);
    t_gpu += static_cast<double>(tgpu[i]);
    t_pim += static_cast<double>(tpim[i]);
    sent += static_cast<double>(bytes[i]);
  }
  const double dn = static_cast<double>(n);
  out << "per-layer breakdown (mean over " << n << " node-layers)\n";
  const char* names[4] = {"attention + router", "dispatch (wait for tokens)",
                          "experts (after last token)", "combine (wait for results)"};
  for (int p = 0; p < 4; ++p)
    line(out, names[p],
         fmt("%9.2f us", phase[p] / dn * 1e-6) +
             fmt("  %5.1f %%", total > 0 ? 100.0 * phase[p] / total : 0.0));
  line(out, "layer total", fmt("%9.2f us", total / dn * 1e-6));
  line(out, "GPU busy", fmt("%9.2f us", gpu_b / dn * 1e-6));
  line(out, "PIM busy", fmt("%9.2f us", pim_b / dn * 1e-6));
  line(out, "scheduler decision", fmt("%9.2f us", sched_b / dn * 1e-6));
  line(out, "active experts on GPU / PIM",
       fmt("%.1f", e_gpu / dn) + " / " + fmt("%.1f", e_pim / dn));
  line(out, "expert tokens on GPU / PIM",
       fmt("%.1f", t_gpu / dn) + " / " + fmt("%.1f", t_pim / dn));
  line(out, "bytes sent per node-layer", fmt("%.0f", sent / dn));
}

}  // namespace sievesim
