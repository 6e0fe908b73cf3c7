#include "io/report.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "base/error.hpp"
#include "base/h5_util.hpp"
#include "io/report_csv.hpp"
#include "io/report_faults.hpp"
#include "io/report_tables.hpp"
#include "io/result_file.hpp"

namespace sievesim {
namespace {

using h5::Handle;

void line(std::ostream& out, const std::string& label, const std::string& value) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "  %-38s %s\n", label.c_str(), value.c_str());
  out << buf;
}

struct LoadedFile {
  std::string path, model, baseline, sweep_key;
  std::int64_t ranks = 0, nodes_per_rank = 0;
  double wall_s = 0;
  bool several = false;  // runs under /runs
  std::vector<ReportedRun> runs;
};

LoadedFile load_unchecked(const std::string& path) {
  const Handle file = open_result_file(path);
  LoadedFile f;
  f.path = path;
  f.model = h5::read_attr_string(file, "model_name");
  f.ranks = h5::read_attr_int(file, "ranks");
  f.nodes_per_rank = h5::read_attr_int(file, "nodes_per_rank");
  f.wall_s = h5::read_attr_double(file, "wall_time_s");
  auto add = [&](hid_t run, const std::string& name, const std::string& scheduler) {
    ReportedRun r;
    r.row = read_run_row(file, run, path, name, scheduler);
    r.row.sweep_key = f.sweep_key;
    r.breakdown = read_breakdown(run);
    r.faults = fault_lines(run);
    r.row.node_time_imbalance = r.breakdown.time_imbalance;
    r.row.node_token_imbalance = r.breakdown.token_imbalance;
    f.runs.push_back(std::move(r));
  };
  if (H5Lexists(file, "runs", H5P_DEFAULT) <= 0) {
    f.baseline = h5::read_attr_string(file, "scheduler");
    add(file, "", f.baseline);
    return f;
  }
  f.several = true;
  Handle runs(H5Gopen2(file, "runs", H5P_DEFAULT), H5Gclose, "H5Gopen2(runs)");
  f.baseline = h5::read_attr_string(runs, "baseline");
  f.sweep_key = h5::read_attr_string(runs, "sweep_key");
  for (const auto& name : run_names(runs)) {
    Handle run(H5Gopen2(runs, name.c_str(), H5P_DEFAULT), H5Gclose, "H5Gopen2(run)");
    add(run, name, h5::read_attr_string(run, "scheduler"));
  }
  // Sweeps of one scheduler written before schema 4 stored no baseline.
  if (f.baseline.empty() && !f.runs.empty()) f.baseline = f.runs.front().row.scheduler;
  return f;
}

LoadedFile load(const std::string& path) {
  try {
    return load_unchecked(path);
  } catch (const h5::Error& e) {
    // Any HDF5 failure here means the file is not a complete sievesim result (truncated,
    // written by another program, an older schema): bad input, not a bug.
    throw InputError(path, "", std::string("not a readable sievesim result (") + e.what() + ")");
  }
}

void print_split_table(const Breakdown& b, std::ostream& out) {
  out << "per-layer GPU/PIM split (mean per node)\n";
  char buf[200];
  std::snprintf(buf, sizeof buf, "  %5s %11s %11s %9s %9s %10s %10s\n", "layer", "GPU busy us",
                "PIM busy us", "exp GPU", "exp PIM", "tok GPU", "tok PIM");
  out << buf;
  for (std::size_t l = 0; l < b.layers.size(); ++l) {
    const auto& s = b.layers[l];
    if (s.samples == 0) continue;
    std::snprintf(buf, sizeof buf, "  %5zu %11.2f %11.2f %9.1f %9.1f %10.1f %10.1f\n", l,
                  s.gpu_busy_ps * 1e-6, s.pim_busy_ps * 1e-6, s.experts_gpu, s.experts_pim,
                  s.tokens_gpu, s.tokens_pim);
    out << buf;
  }
}

// Where the measured window's energy went (docs/energy.md).
void print_energy(const RunRow& r, std::ostream& out) {
  auto d = [&](const char* k) { return r.doubles.at(k); };
  const double total = d("energy_total_J");
  line(out, "energy (measured window)", fmt("%.4g J", total));
  line(out, "energy per output token / tokens per J",
       fmt("%.4g J", d("joules_per_output_token")) + " / " +
           fmt("%.3f", d("output_tokens_per_joule")));
  std::string parts;
  for (const auto& [label, key] : {std::pair{"GPU compute", "energy_gpu_compute_J"},
                                   {"GPU HBM", "energy_gpu_hbm_J"},
                                   {"PIM", "energy_pim_J"},
                                   {"links", "energy_link_J"},
                                   {"static", "energy_static_J"}})
    parts += (parts.empty() ? "" : ", ") + std::string(label) + " " +
             fmt("%.1f %%", total > 0 ? 100.0 * d(key) / total : 0.0);
  line(out, "energy by component", parts);
  line(out, "mean power per GPU / per PIM stack",
       fmt("%.1f W", d("power_per_gpu_W")) + " / " + fmt("%.2f W", d("power_per_pim_stack_W")));
  line(out, "peak power per node (one iteration)", fmt("%.1f W", d("peak_power_per_node_W")));
}

// The summary and breakdown of one run.
void print_run(const LoadedFile& f, const ReportedRun& run, bool per_layer, std::ostream& out) {
  const RunRow& r = run.row;
  auto i = [&](const char* k) { return r.ints.at(k); };
  line(out, "model", f.model);
  line(out, "scheduler", r.scheduler);
  line(out, "nodes (GPUs)", std::to_string(r.nodes));
  line(out, "ranks x nodes per rank",
       std::to_string(f.ranks) + " x " + std::to_string(f.nodes_per_rank));
  line(out, "iterations (warm-up)",
       std::to_string(i("iterations")) + " (" + std::to_string(i("warmup_iterations")) + ")");
  line(out, "requests finished", std::to_string(r.finished) + " of " + std::to_string(r.requests));
  line(out, "output / prefill tokens (measured)",
       std::to_string(i("output_tokens")) + " / " + std::to_string(i("prefill_tokens")));
  line(out, "simulated time", fmt("%.3f ms", static_cast<double>(i("makespan_ps")) * 1e-9));
  line(out, "throughput (tokens/s per GPU)", fmt("%.1f", r.throughput));
  line(out, "throughput (tokens/s, all GPUs)",
       fmt("%.1f", r.doubles.at("throughput_tokens_per_s")));
  line(out, "interactivity (tokens/s per user)", fmt("%.2f", r.interactivity));
  line(out, "mean iteration time", fmt("%.1f us", r.tpot_us));
  if (r.node_time_imbalance > 0)
    line(out, "node imbalance: time / tokens (max/mean)",
         fmt("%.3f", r.node_time_imbalance) + " / " + fmt("%.3f", r.node_token_imbalance));
  if (r.rebalances > 0)
    line(out, "rebalances / weights migrated",
         std::to_string(r.rebalances) + " / " +
             fmt("%.2f GB", static_cast<double>(r.bytes_moved) * 1e-9) + " in " +
             fmt("%.3f ms", static_cast<double>(r.migration_ps) * 1e-9));
  auto us = [&](const std::string& key) {
    return fmt("%.1f", static_cast<double>(r.ints.at(key)) * 1e-6);
  };
  for (const std::string w : {"ttft", "tpot"}) {
    const std::string label =
        (w == "ttft" ? "TTFT" : "TPOT") + std::string(" mean / p50 / p99 (us)");
    if (r.ints.at(w + "_count") == 0)
      line(out, label, "- (none measured after warm-up)");
    else
      line(out, label, us(w + "_mean_ps") + " / " + us(w + "_p50_ps") + " / " + us(w + "_p99_ps"));
  }
  print_energy(r, out);
  for (const auto& [label, value] : run.faults) line(out, label, value);

  const Breakdown& b = run.breakdown;
  if (b.all.samples == 0) return;  // output.layers: false
  out << "per-layer breakdown (mean over " << static_cast<long long>(b.all.samples)
      << " node-layers)\n";
  const char* names[4] = {"attention + router", "dispatch (wait for tokens)",
                          "experts (after last token)", "combine (wait for results)"};
  for (int p = 0; p < 4; ++p)
    line(out, names[p],
         fmt("%9.2f us", b.phase_ps[p] * 1e-6) +
             fmt("  %5.1f %%", b.layer_ps > 0 ? 100.0 * b.phase_ps[p] / b.layer_ps : 0.0));
  line(out, "layer total", fmt("%9.2f us", b.layer_ps * 1e-6));
  line(out, "GPU busy", fmt("%9.2f us", b.all.gpu_busy_ps * 1e-6));
  line(out, "PIM busy", fmt("%9.2f us", b.all.pim_busy_ps * 1e-6));
  line(out, "scheduler decision", fmt("%9.2f us", b.all.sched_ps * 1e-6));
  line(out, "active experts on GPU / PIM",
       fmt("%.1f", b.all.experts_gpu) + " / " + fmt("%.1f", b.all.experts_pim));
  line(out, "expert tokens on GPU / PIM",
       fmt("%.1f", b.all.tokens_gpu) + " / " + fmt("%.1f", b.all.tokens_pim));
  line(out, "bytes sent per node-layer", fmt("%.0f", b.all.bytes_sent));
  if (per_layer) print_split_table(b, out);
}

// The placement table is worth printing when placements moved or are what the sweep varies.
bool placement_matters(const std::vector<RunRow>& rows, const std::string& sweep_key) {
  return sweep_key.rfind("placement.", 0) == 0 ||
         std::any_of(rows.begin(), rows.end(), [](const RunRow& r) { return r.rebalances > 0; });
}

std::vector<RunRow> rows_of(const std::vector<ReportedRun*>& runs) {
  std::vector<RunRow> rows;
  for (const auto* r : runs) rows.push_back(r->row);
  return rows;
}

// Runs compared with each other: same model, cluster size and swept key.
using GroupKey = std::tuple<std::string, std::int64_t, std::string>;

// Numeric sweep values sort as numbers, others as text.
bool scalar_less(const std::string& a, const std::string& b) {
  char *ea = nullptr, *eb = nullptr;
  const double x = std::strtod(a.c_str(), &ea), y = std::strtod(b.c_str(), &eb);
  if (!a.empty() && !b.empty() && *ea == '\0' && *eb == '\0') return x < y;
  return a < b;
}

// Swept values in order: numbers by value; a grid point (`k1=v1,k2=v2`) key by key in the
// grid's order, each value by value, so concurrency=8 comes before concurrency=16.
bool value_less(const std::string& a, const std::string& b) {
  const auto parts = [](const std::string& v) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (true) {
      const auto comma = v.find(',', at);
      std::string p = v.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      if (const auto eq = p.find('='); eq != std::string::npos) p = p.substr(eq + 1);
      out.push_back(p);
      if (comma == std::string::npos) return out;
      at = comma + 1;
    }
  };
  const auto pa = parts(a), pb = parts(b);
  for (std::size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) {
    if (scalar_less(pa[i], pb[i])) return true;
    if (scalar_less(pb[i], pa[i])) return false;
  }
  return pa.size() < pb.size();
}

// Merges the runs of several files: groups, labels, order, baseline of every run.
std::map<GroupKey, std::vector<ReportedRun*>> merge(std::vector<LoadedFile>& files,
                                                    const std::string& baseline) {
  std::map<GroupKey, std::vector<ReportedRun*>> groups;
  for (auto& f : files)
    for (auto& r : f.runs) groups[{r.row.model, r.row.nodes, r.row.sweep_key}].push_back(&r);
  for (auto& [key, runs] : groups) {
    // Two files with the same scheduler at the same point (say, two placement policies) need
    // names that tell them apart.
    for (auto* r : runs)
      for (auto* o : runs)
        if (o != r && o->row.scheduler == r->row.scheduler &&
            o->row.sweep_value == r->row.sweep_value)
          r->row.label =
              std::filesystem::path(r->row.file).stem().string() + ":" + r->row.scheduler;
    std::vector<std::string> order;
    for (auto* r : runs)
      if (std::find(order.begin(), order.end(), r->row.label) == order.end())
        order.push_back(r->row.label);
    std::stable_sort(runs.begin(), runs.end(), [&](const ReportedRun* a, const ReportedRun* b) {
      const auto ia = std::find(order.begin(), order.end(), a->row.label) - order.begin();
      const auto ib = std::find(order.begin(), order.end(), b->row.label) - order.begin();
      if (ia != ib) return ia < ib;
      return value_less(a->row.sweep_value, b->row.sweep_value);
    });
    for (auto* r : runs)
      for (auto* o : runs)
        if ((o->row.label == baseline || o->row.scheduler == baseline) &&
            o->row.sweep_value == r->row.sweep_value && !r->baseline)
          r->baseline = &o->row;
  }
  return groups;
}

}  // namespace

void print_reports(const std::vector<std::string>& paths, const ReportOptions& options,
                   std::ostream& out) {
  std::vector<LoadedFile> files;
  for (const auto& p : paths) files.push_back(load(p));
  auto used = [&](const std::string& sched) {
    for (const auto& f : files)
      for (const auto& r : f.runs)
        if (r.row.scheduler == sched) return true;
    return false;
  };
  // One rule however many files: --baseline, else the first file's own baseline (the first of
  // its --schedulers, or the scheduler of a single run).
  std::string baseline = options.baseline;
  if (baseline.empty()) baseline = files.front().baseline;
  const bool found = used(baseline);
  if (!found)
    throw InputError("", "--baseline",
                     "no run in " + std::string(paths.size() > 1 ? "these files" : paths.front()) +
                         " used scheduler '" + baseline + "'");

  for (std::size_t i = 0; i < files.size(); ++i) {
    const LoadedFile& f = files[i];
    if (i) out << "\n";
    out << "sievesim result " << f.path << "\n";
    if (!f.several) {
      print_run(f, f.runs.front(), options.per_layer, out);
    } else {
      std::vector<RunRow> rows;
      for (const auto& r : f.runs) {
        if (f.sweep_key.empty()) {
          out << "== " << r.row.run << " ==\n";
          print_run(f, r, options.per_layer, out);
        } else if (options.per_layer && r.breakdown.all.samples > 0) {
          out << "== " << r.row.run << " ==\n";  // a sweep's points only get their split
          print_split_table(r.breakdown, out);
        }
        rows.push_back(r.row);
      }
      const bool has_base = std::any_of(rows.begin(), rows.end(),
                                        [&](const RunRow& r) { return r.scheduler == baseline; });
      const std::string base = has_base ? baseline : f.baseline;
      if (f.sweep_key.empty())
        print_comparison(rows, base, out);
      else
        print_sweep(rows, f.sweep_key, base, out);
      if (placement_matters(rows, f.sweep_key)) print_placement(rows, out);
    }
    line(out, "wall time", fmt("%.2f s", f.wall_s));
  }

  auto groups = merge(files, baseline);
  if (files.size() > 1)
    for (const auto& [key, runs] : groups) {
      if (runs.size() < 2) continue;
      const auto& [model, nodes, sweep_key] = key;
      out << "\nmerged: " << model << " on " << nodes << " GPUs, " << runs.size() << " runs\n";
      const auto rows = rows_of(runs);
      if (sweep_key.empty())
        print_comparison(rows, baseline, out);
      else
        print_sweep(rows, sweep_key, baseline, out);
      if (placement_matters(rows, sweep_key)) print_placement(rows, out);
    }

  if (!options.csv_dir.empty()) {
    std::vector<ReportedRun> all;
    for (const auto& [key, runs] : groups)
      for (const auto* r : runs) all.push_back(*r);
    write_report_csv(options.csv_dir, all);
  }
}

}  // namespace sievesim
