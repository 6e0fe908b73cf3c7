#include "io/report_tables.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>

#include "base/time.hpp"

#include "base/h5_util.hpp"

namespace sievesim {
namespace {

using h5::Handle;

std::vector<std::string> schedulers_of(const std::vector<RunRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows)
    if (std::find(out.begin(), out.end(), r.label) == out.end()) out.push_back(r.label);
  return out;
}

const RunRow* find_run(const std::vector<RunRow>& rows, const std::string& sched,
                       const std::string& value) {
  for (const auto& r : rows)
    if (r.label == sched && r.sweep_value == value) return &r;
  return nullptr;
}

// A matrix: one line per sweep point, one column per scheduler, value(scheduler) /
// value(baseline) (the convention of every table and CSV: a scheduler over the baseline, above 1
// when it is better), then the same ratio between each one's best point.
template <class Get>
void ratio_table(const std::vector<RunRow>& rows, const std::vector<std::string>& scheds,
                 const std::string& baseline, const std::string& leaf, const char* what, Get get,
                 std::ostream& out) {
  char buf[256];
  int width = 11;
  for (const auto& r : rows) width = std::max(width, static_cast<int>(r.sweep_value.size()));
  out << "  " << what << ": scheduler over " << baseline << "\n";
  std::snprintf(buf, sizeof buf, "  %*s", width, leaf.c_str());
  out << buf;
  for (const auto& s : scheds) {
    std::snprintf(buf, sizeof buf, " %9s", s.c_str());
    out << buf;
  }
  out << "\n";
  auto cell = [&](double b, double o) {
    std::snprintf(buf, sizeof buf, " %9s", b > 0 && o > 0 ? fmt("%.3f", o / b).c_str() : "-");
    out << buf;
  };
  for (const auto& r : rows) {
    if (r.label != baseline) continue;
    std::snprintf(buf, sizeof buf, "  %*s", width, r.sweep_value.c_str());
    out << buf;
    for (const auto& s : scheds) {
      const RunRow* o = find_run(rows, s, r.sweep_value);
      cell(get(r), o ? get(*o) : 0);
    }
    out << "\n";
  }
  auto best = [&](const std::string& s) {
    double v = 0;
    for (const auto& r : rows)
      if (r.label == s) v = std::max(v, get(r));
    return v;
  };
  std::snprintf(buf, sizeof buf, "  %*s", width, "best");
  out << buf;
  for (const auto& s : scheds) cell(best(baseline), best(s));
  out << "\n";
}

}  // namespace

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

const std::vector<const char*> kSummaryIntKeys = {
    "nodes",          "iterations",         "warmup_iterations",
    "requests",       "requests_finished",  "output_tokens",
    "prefill_tokens", "records_dispatched", "records_combined",
    "makespan_ps",    "window_ps",          "mean_iteration_ps",
    "ttft_count",     "ttft_mean_ps",       "ttft_p50_ps",
    "ttft_p90_ps",    "ttft_p99_ps",        "tpot_count",
    "tpot_mean_ps",   "tpot_p50_ps",        "tpot_p90_ps",
    "tpot_p99_ps",    "e2e_count",          "e2e_mean_ps",
    "e2e_p50_ps",     "e2e_p90_ps",         "e2e_p99_ps"};
const std::vector<const char*> kSummaryDoubleKeys = {"throughput_tokens_per_s",
                                                     "throughput_tokens_per_s_per_gpu",
                                                     "interactivity_tokens_per_s_per_user",
                                                     "energy_gpu_compute_J",
                                                     "energy_gpu_hbm_J",
                                                     "energy_pim_J",
                                                     "energy_link_J",
                                                     "energy_static_J",
                                                     "energy_total_J",
                                                     "joules_per_output_token",
                                                     "output_tokens_per_joule",
                                                     "power_per_gpu_W",
                                                     "power_per_pim_stack_W",
                                                     "peak_power_per_node_W"};

RunRow read_run_row(hid_t file, hid_t run, const std::string& path, const std::string& name,
                    const std::string& scheduler) {
  Handle summary(H5Gopen2(run, "summary", H5P_DEFAULT), H5Gclose, "H5Gopen2(summary)");
  RunRow r;
  r.file = path;
  r.run = name;
  r.model = h5::read_attr_string(file, "model_name");
  r.scheduler = r.label = scheduler;
  if (h5::has_attr(run, "sweep_value")) r.sweep_value = h5::read_attr_string(run, "sweep_value");
  for (const char* k : kSummaryIntKeys) r.ints[k] = h5::read_attr_int(summary, k);
  for (const char* k : kSummaryDoubleKeys) r.doubles[k] = h5::read_attr_double(summary, k);
  r.throughput = r.doubles["throughput_tokens_per_s_per_gpu"];
  r.interactivity = r.doubles["interactivity_tokens_per_s_per_user"];
  r.tpot_us = static_cast<double>(r.ints["mean_iteration_ps"]) * 1e-6;
  auto p50_ms = [&](const std::string& w) {
    return r.ints[w + "_count"] > 0 ? static_cast<double>(r.ints[w + "_p50_ps"]) * 1e-9 : -1.0;
  };
  r.ttft_p50_ms = p50_ms("ttft");
  r.tpot_p50_ms = p50_ms("tpot");
  r.finished = r.ints["requests_finished"];
  r.requests = r.ints["requests"];
  r.nodes = r.ints["nodes"];
  if (H5Lexists(run, "placement", H5P_DEFAULT) > 0) {
    Handle pl(H5Gopen2(run, "placement", H5P_DEFAULT), H5Gclose, "H5Gopen2(placement)");
    const auto bytes = h5::read_column(pl, "bytes_moved"),
               mig = h5::read_column(pl, "migration_ps");
    r.rebalances = std::max<std::int64_t>(0, static_cast<std::int64_t>(bytes.size()) - 1);
    for (std::size_t i = 0; i < bytes.size(); ++i)
      r.bytes_moved += bytes[i], r.migration_ps += mig[i];
  }
  return r;
}

void print_placement(const std::vector<RunRow>& rows, std::ostream& out) {
  out << "placement: imbalance (max/mean node per layer) of compute time and of tokens, "
         "rebalances, weights migrated\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %-24s %10s %10s %11s %12s %13s\n", "run", "time imb.",
                "token imb.", "rebalances", "GB moved", "migration ms");
  out << buf;
  auto imb = [](double v) { return v > 0 ? fmt("%.3f", v) : std::string("-"); };
  for (const auto& r : rows) {
    const std::string name = r.sweep_value.empty() ? r.label : r.label + "@" + r.sweep_value;
    std::snprintf(buf, sizeof buf, "  %-24s %10s %10s %11lld %12.2f %13.3f\n", name.c_str(),
                  imb(r.node_time_imbalance).c_str(), imb(r.node_token_imbalance).c_str(),
                  static_cast<long long>(r.rebalances), static_cast<double>(r.bytes_moved) * 1e-9,
                  static_cast<double>(r.migration_ps) * 1e-9);
    out << buf;
  }
}

Breakdown read_breakdown(hid_t run) {
  Breakdown b;
  if (H5Lexists(run, "layers", H5P_DEFAULT) <= 0) return b;  // output.layers: false
  Handle layers(H5Gopen2(run, "layers", H5P_DEFAULT), H5Gclose, "H5Gopen2(layers)");
  auto col = [&](const char* n) { return h5::read_column(layers, n); };
  const auto it = col("iteration"), tokens = col("tokens_in");
  const auto layer = col("layer"), start = col("start_ps"), attn = col("attention_end_ps"),
             disp = col("dispatch_end_ps"), exp = col("experts_end_ps"), end = col("end_ps"),
             gpu = col("gpu_busy_ps"), pim = col("pim_busy_ps"), sched = col("sched_ps"),
             egpu = col("experts_gpu"), epim = col("experts_pim"), tgpu = col("tokens_gpu"),
             tpim = col("tokens_pim"), bytes = col("bytes_sent");
  const std::size_t n = start.size();
  if (n == 0) return b;
  auto d = [](std::int64_t v) { return static_cast<double>(v); };
  for (std::size_t i = 0; i < n; ++i) {
    // Phases are successive milestones of the layer's critical path; with overlap a later
    // milestone may precede an earlier one, which counts as zero.
    const sim_time_t a = attn[i], di = std::max(disp[i], a), e = std::max(exp[i], di),
                     f = std::max(end[i], e);
    b.phase_ps[0] += d(a - start[i]);
    b.phase_ps[1] += d(di - a);
    b.phase_ps[2] += d(e - di);
    b.phase_ps[3] += d(f - e);
    b.layer_ps += d(end[i] - start[i]);
    const auto l = static_cast<std::size_t>(layer[i]);
    if (b.layers.size() <= l) b.layers.resize(l + 1);
    for (Breakdown::Split* s : {&b.all, &b.layers[l]}) {
      s->samples += 1;
      s->gpu_busy_ps += d(gpu[i]);
      s->pim_busy_ps += d(pim[i]);
      s->sched_ps += d(sched[i]);
      s->experts_gpu += d(egpu[i]);
      s->experts_pim += d(epim[i]);
      s->tokens_gpu += d(tgpu[i]);
      s->tokens_pim += d(tpim[i]);
      s->bytes_sent += d(bytes[i]);
    }
  }
  // Imbalance: per (iteration, layer), max over nodes against their mean, of compute time (the
  // busier of GPU and PIM) and of tokens processed; weighted by the layers' totals.
  std::map<std::pair<std::int64_t, std::int64_t>, std::array<double, 5>> per;
  for (std::size_t i = 0; i < n; ++i) {
    auto& a = per[{it[i], layer[i]}];
    const double t = d(std::max(gpu[i], pim[i])), k = d(tokens[i]);
    a[0] = std::max(a[0], t), a[1] += t, a[2] = std::max(a[2], k), a[3] += k, a[4] += 1;
  }
  double max_t = 0, mean_t = 0, max_k = 0, mean_k = 0;
  for (const auto& [key, a] : per)
    max_t += a[0], mean_t += a[1] / a[4], max_k += a[2], mean_k += a[3] / a[4];
  b.time_imbalance = mean_t > 0 ? max_t / mean_t : 0;
  b.token_imbalance = mean_k > 0 ? max_k / mean_k : 0;
  const double dn = static_cast<double>(n);
  for (double& p : b.phase_ps) p /= dn;
  b.layer_ps /= dn;
  auto mean = [](Breakdown::Split& s) {
    if (s.samples == 0) return;
    for (double* v : {&s.gpu_busy_ps, &s.pim_busy_ps, &s.sched_ps, &s.experts_gpu, &s.experts_pim,
                      &s.tokens_gpu, &s.tokens_pim, &s.bytes_sent})
      *v /= s.samples;
  };
  mean(b.all);
  for (auto& s : b.layers) mean(s);
  return b;
}

void print_comparison(const std::vector<RunRow>& rows, const std::string& baseline,
                      std::ostream& out) {
  const RunRow* base = nullptr;
  for (const auto& r : rows)
    if (!base && r.label == baseline) base = &r;
  if (!base) base = &rows.front();
  out << "comparison (each scheduler over " << base->label << ")\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %-10s %14s %14s %12s %12s %12s %11s\n", "scheduler",
                "tokens/s/GPU", "tokens/s/user", "TPOT (us)", "throughput x", "interact. x",
                "tokens/J");
  out << buf;
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "  %-10s %14.1f %14.2f %12.1f %12.3f %12.3f %11.2f\n",
                  r.label.c_str(), r.throughput, r.interactivity, r.tpot_us,
                  r.throughput / base->throughput, r.interactivity / base->interactivity,
                  r.doubles.at("output_tokens_per_joule"));
    out << buf;
  }
}

void print_sweep(const std::vector<RunRow>& rows, const std::string& key,
                 const std::string& baseline, std::ostream& out) {
  const auto scheds = schedulers_of(rows);
  // A grid's points name every key (`concurrency=8,policy=eplb`): the column is the point.
  const bool grid = key.find(',') != std::string::npos;
  const std::string leaf = grid ? "point" : key.substr(key.rfind('.') + 1);
  int width = 11;
  for (const auto& r : rows) width = std::max(width, static_cast<int>(r.sweep_value.size()));
  char buf[512];
  out << "sweep of " << key
      << ": throughput against interactivity (* = on the Pareto front of all rows)\n";
  std::snprintf(buf, sizeof buf, "  %-10s %*s %14s %14s %10s %10s %9s\n", "scheduler", width,
                leaf.c_str(), "tokens/s/GPU", "tokens/s/user", "TTFT p50", "TPOT p50", "finished");
  out << buf;
  auto ms = [](double v) { return v < 0 ? std::string("-") : fmt("%.2fms", v); };
  for (const auto& s : scheds)
    for (const auto& r : rows) {
      if (r.label != s) continue;
      // On the front: no other row, of any scheduler, is at least as good in both and better in
      // one. (Within one scheduler's concurrency sweep every point is on its own front:
      // throughput rises as interactivity falls, so only the joint front says anything.)
      const bool dominated = std::any_of(rows.begin(), rows.end(), [&](const RunRow& o) {
        return o.throughput >= r.throughput && o.interactivity >= r.interactivity &&
               (o.throughput > r.throughput || o.interactivity > r.interactivity);
      });
      std::snprintf(buf, sizeof buf, "  %-10s %*s %13.1f%s %14.2f %10s %10s %4lld/%-4lld\n",
                    s.c_str(), width, r.sweep_value.c_str(), r.throughput, dominated ? " " : "*",
                    r.interactivity, ms(r.ttft_p50_ms).c_str(), ms(r.tpot_p50_ms).c_str(),
                    static_cast<long long>(r.finished), static_cast<long long>(r.requests));
      out << buf;
    }
  if (std::any_of(rows.begin(), rows.end(),
                  [](const RunRow& r) { return r.ttft_p50_ms < 0 || r.tpot_p50_ms < 0; }))
    out << "  (-: none measured after the warm-up; a decode run admits every request in its "
           "first iteration, so with warm-up no first token falls in the measured window)\n";
  if (scheds.size() < 2) return;
  out << "ratios of each scheduler over " << baseline << ", per point and at each one's best\n";
  ratio_table(
      rows, scheds, baseline, leaf, "throughput (tokens/s per GPU)",
      [](const RunRow& r) { return r.throughput; }, out);
  ratio_table(
      rows, scheds, baseline, leaf, "interactivity (tokens/s per user)",
      [](const RunRow& r) { return r.interactivity; }, out);
}

}  // namespace sievesim
