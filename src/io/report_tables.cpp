#include "io/report_tables.hpp"

#include <algorithm>
#include <cstdio>

#include "io/h5_util.hpp"

namespace sievesim {
namespace {

using h5::Handle;

std::vector<std::string> schedulers_of(const std::vector<RunRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows)
    if (std::find(out.begin(), out.end(), r.scheduler) == out.end()) out.push_back(r.scheduler);
  return out;
}

const RunRow* find_run(const std::vector<RunRow>& rows, const std::string& sched,
                       const std::string& value) {
  for (const auto& r : rows)
    if (r.scheduler == sched && r.sweep_value == value) return &r;
  return nullptr;
}

// A matrix: one line per sweep point, one column per scheduler, value(baseline) / value(other),
// then the same ratio between each one's best point.
template <class Get>
void ratio_table(const std::vector<RunRow>& rows, const std::vector<std::string>& scheds,
                 const std::string& baseline, const std::string& leaf, const char* what, Get get,
                 std::ostream& out) {
  char buf[64];
  out << "  " << what << ": " << baseline << " / scheduler\n";
  std::snprintf(buf, sizeof buf, "  %11s", leaf.c_str());
  out << buf;
  for (const auto& s : scheds) {
    std::snprintf(buf, sizeof buf, " %9s", s.c_str());
    out << buf;
  }
  out << "\n";
  auto cell = [&](double b, double o) {
    std::snprintf(buf, sizeof buf, " %9s", o > 0 ? fmt("%.3f", b / o).c_str() : "-");
    out << buf;
  };
  for (const auto& r : rows) {
    if (r.scheduler != baseline) continue;
    std::snprintf(buf, sizeof buf, "  %11s", r.sweep_value.c_str());
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
      if (r.scheduler == s) v = std::max(v, get(r));
    return v;
  };
  std::snprintf(buf, sizeof buf, "  %11s", "best");
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

RunRow read_run_row(hid_t run) {
  Handle summary(H5Gopen2(run, "summary", H5P_DEFAULT), H5Gclose, "H5Gopen2(summary)");
  RunRow r;
  r.scheduler = h5::read_attr_string(run, "scheduler");
  r.sweep_value = h5::read_attr_string(run, "sweep_value");
  r.throughput = h5::read_attr_double(summary, "throughput_tokens_per_s_per_gpu");
  r.interactivity = h5::read_attr_double(summary, "interactivity_tokens_per_s_per_user");
  r.tpot_us = static_cast<double>(h5::read_attr_int(summary, "mean_iteration_ps")) * 1e-6;
  auto p50_ms = [&](const std::string& w) {
    return h5::read_attr_int(summary, (w + "_count").c_str()) > 0
               ? static_cast<double>(h5::read_attr_int(summary, (w + "_p50_ps").c_str())) * 1e-9
               : -1.0;
  };
  r.ttft_p50_ms = p50_ms("ttft");
  r.tpot_p50_ms = p50_ms("tpot");
  r.finished = h5::read_attr_int(summary, "requests_finished");
  r.requests = h5::read_attr_int(summary, "requests");
  return r;
}

void print_comparison(const std::vector<RunRow>& rows, const std::string& baseline,
                      std::ostream& out) {
  const RunRow* base = find_run(rows, baseline, "");
  if (!base) throw h5::Error("baseline run missing");
  out << "comparison (ratios against " << baseline << ")\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %-10s %14s %14s %12s %12s %12s\n", "scheduler", "tokens/s/GPU",
                "tokens/s/user", "TPOT (us)", "throughput x", "interact. x");
  out << buf;
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "  %-10s %14.1f %14.2f %12.1f %12.3f %12.3f\n",
                  r.scheduler.c_str(), r.throughput, r.interactivity, r.tpot_us,
                  r.throughput / base->throughput, r.interactivity / base->interactivity);
    out << buf;
  }
}

void print_sweep(const std::vector<RunRow>& rows, const std::string& key,
                 const std::string& baseline, std::ostream& out) {
  const auto scheds = schedulers_of(rows);
  const std::string leaf = key.substr(key.rfind('.') + 1);
  char buf[256];
  out << "sweep of " << key << ": throughput against interactivity (* = Pareto front)\n";
  std::snprintf(buf, sizeof buf, "  %-10s %11s %14s %14s %10s %10s %9s\n", "scheduler",
                leaf.c_str(), "tokens/s/GPU", "tokens/s/user", "TTFT p50", "TPOT p50", "finished");
  out << buf;
  auto ms = [](double v) { return v < 0 ? std::string("-") : fmt("%.2fms", v); };
  for (const auto& s : scheds)
    for (const auto& r : rows) {
      if (r.scheduler != s) continue;
      // On the front: no other point of the scheduler is at least as good in both and better in
      // one.
      const bool dominated = std::any_of(rows.begin(), rows.end(), [&](const RunRow& o) {
        return o.scheduler == s && o.throughput >= r.throughput &&
               o.interactivity >= r.interactivity &&
               (o.throughput > r.throughput || o.interactivity > r.interactivity);
      });
      std::snprintf(buf, sizeof buf, "  %-10s %11s %13.1f%s %14.2f %10s %10s %4lld/%-4lld\n",
                    s.c_str(), r.sweep_value.c_str(), r.throughput, dominated ? " " : "*",
                    r.interactivity, ms(r.ttft_p50_ms).c_str(), ms(r.tpot_p50_ms).c_str(),
                    static_cast<long long>(r.finished), static_cast<long long>(r.requests));
      out << buf;
    }
  if (scheds.size() < 2) return;
  out << "ratios of " << baseline << " over each scheduler, per point and at each one's best\n";
  ratio_table(
      rows, scheds, baseline, leaf, "throughput (tokens/s per GPU)",
      [](const RunRow& r) { return r.throughput; }, out);
  ratio_table(
      rows, scheds, baseline, leaf, "interactivity (tokens/s per user)",
      [](const RunRow& r) { return r.interactivity; }, out);
}

}  // namespace sievesim
