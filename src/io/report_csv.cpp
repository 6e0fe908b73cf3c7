#include "io/report_csv.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/error.hpp"

namespace sievesim {
namespace {

// RFC 4180 quoting, needed only for names that carry commas or quotes (file paths may).
std::string field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);  // round-trips, so CSV figures equal the file's
  return buf;
}

class Csv {
 public:
  Csv(const std::filesystem::path& path, const std::vector<std::string>& header)
      : path_(path), out_(path) {
    if (!out_) throw InputError(path.string(), "", "cannot write the CSV file");
    row(header);
  }
  void row(const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) out_ << (i ? "," : "") << field(cells[i]);
    out_ << "\n";
    if (!out_) throw InputError(path_.string(), "", "write failed");
  }

 private:
  std::filesystem::path path_;
  std::ofstream out_;
};

const std::vector<std::string> kRunKey = {"file",      "run",       "model",
                                          "scheduler", "sweep_key", "sweep_value"};
std::vector<std::string> run_key(const RunRow& r) {
  return {r.file, r.run, r.model, r.scheduler, r.sweep_key, r.sweep_value};
}

const std::vector<std::string> kSplitCols = {"gpu_busy_ps", "pim_busy_ps", "sched_ps",
                                             "experts_gpu", "experts_pim", "tokens_gpu",
                                             "tokens_pim",  "bytes_sent"};
void add_split(std::vector<std::string>& cells, const Breakdown::Split& s) {
  for (double v : {s.gpu_busy_ps, s.pim_busy_ps, s.sched_ps, s.experts_gpu, s.experts_pim,
                   s.tokens_gpu, s.tokens_pim, s.bytes_sent})
    cells.push_back(num(v));
}

// A latency statistic of which nothing was measured (TTFT in a decode run whose requests were all
// admitted during the warm-up) is empty, not 0: a 0 would read as an instant first token.
std::string summary_cell(const RunRow& r, const std::string& key) {
  for (const char* w : {"ttft_", "tpot_", "e2e_"}) {
    const std::string p(w);
    if (key.rfind(p, 0) == 0 && key != p + "count" && r.ints.count(p + "count") &&
        r.ints.at(p + "count") == 0)
      return "";
  }
  return std::to_string(r.ints.at(key));
}

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

}  // namespace

void write_report_csv(const std::string& dir, const std::vector<ReportedRun>& runs) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError(dir, "--csv", "cannot create the directory: " + ec.message());
  const std::filesystem::path d(dir);

  std::vector<std::string> cols = kRunKey;
  for (const char* k : kSummaryIntKeys) cols.emplace_back(k);
  for (const char* k : kSummaryDoubleKeys) cols.emplace_back(k);
  for (const char* k :
       {"node_time_imbalance", "node_token_imbalance", "rebalances", "bytes_moved", "migration_ps"})
    cols.emplace_back(k);
  Csv summary(d / "summary.csv", cols);
  for (const auto& r : runs) {
    auto cells = run_key(r.row);
    for (const char* k : kSummaryIntKeys) cells.push_back(summary_cell(r.row, k));
    for (const char* k : kSummaryDoubleKeys) cells.push_back(num(r.row.doubles.at(k)));
    cells.push_back(num(r.row.node_time_imbalance));
    cells.push_back(num(r.row.node_token_imbalance));
    for (std::int64_t v : {r.row.rebalances, r.row.bytes_moved, r.row.migration_ps})
      cells.push_back(std::to_string(v));
    summary.row(cells);
  }

  Csv phases(d / "phases.csv", with(with(kRunKey, {"node_layers", "attention_ps", "dispatch_ps",
                                                   "experts_ps", "combine_ps", "layer_ps"}),
                                    kSplitCols));
  Csv layers(d / "layers.csv", with(with(kRunKey, {"layer", "samples"}), kSplitCols));
  for (const auto& r : runs) {
    const Breakdown& b = r.breakdown;
    if (b.all.samples == 0) continue;  // written without /layers
    auto cells = run_key(r.row);
    cells.push_back(num(b.all.samples));
    for (double p : b.phase_ps) cells.push_back(num(p));
    cells.push_back(num(b.layer_ps));
    add_split(cells, b.all);
    phases.row(cells);
    for (std::size_t l = 0; l < b.layers.size(); ++l) {
      auto lc = run_key(r.row);
      lc.push_back(std::to_string(l));
      lc.push_back(num(b.layers[l].samples));
      add_split(lc, b.layers[l]);
      layers.row(lc);
    }
  }

  Csv compare(d / "compare.csv",
              with(kRunKey, {"baseline", "throughput_tokens_per_s_per_gpu",
                             "interactivity_tokens_per_s_per_user", "throughput_over_baseline",
                             "interactivity_over_baseline"}));
  for (const auto& r : runs) {
    if (!r.baseline) continue;
    auto ratio = [](double b, double o) { return o > 0 ? num(b / o) : std::string(); };
    auto cells = run_key(r.row);
    cells.push_back(r.baseline->label);
    cells.push_back(num(r.row.throughput));
    cells.push_back(num(r.row.interactivity));
    cells.push_back(ratio(r.row.throughput, r.baseline->throughput));
    cells.push_back(ratio(r.row.interactivity, r.baseline->interactivity));
    compare.row(cells);
  }
}

}  // namespace sievesim
