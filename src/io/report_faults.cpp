#include "io/report_faults.hpp"

#include <algorithm>
#include <cstdint>

#include "base/h5_util.hpp"
#include "io/report_tables.hpp"

namespace sievesim {
namespace {

constexpr double kWindowS = 2.0;  // throughput is judged over 2 s of simulated time

// Output tokens per second of the iterations ending in (from_s, to_s].
double rate(const std::vector<double>& end_s, const std::vector<std::int64_t>& tokens,
            double from_s, double to_s) {
  double n = 0;
  for (std::size_t i = 0; i < end_s.size(); ++i)
    if (end_s[i] > from_s && end_s[i] <= to_s) n += static_cast<double>(tokens[i]);
  return to_s > from_s ? n / (to_s - from_s) : 0.0;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> fault_lines(hid_t run) {
  std::vector<std::pair<std::string, std::string>> out;
  if (H5Lexists(run, "faults", H5P_DEFAULT) <= 0) return out;
  h5::Handle ft(H5Gopen2(run, "faults", H5P_DEFAULT), H5Gclose, "H5Gopen2(faults)");
  h5::Handle it(H5Gopen2(run, "iterations", H5P_DEFAULT), H5Gclose, "H5Gopen2(iterations)");
  h5::Handle sum(H5Gopen2(run, "summary", H5P_DEFAULT), H5Gclose, "H5Gopen2(summary)");
  const auto event = h5::read_column(ft, "event"), node = h5::read_column(ft, "node");
  const auto at = h5::read_column(ft, "at_ps"), resume = h5::read_column(ft, "resume_ps");
  const auto lost = h5::read_column(ft, "requests_lost");
  const auto unplaced = h5::read_column(ft, "experts_unplaced");
  const auto ends = h5::read_column(it, "end_ps");
  const auto tokens = h5::read_column(it, "output_tokens");
  std::vector<double> end_s;
  for (auto e : ends) end_s.push_back(static_cast<double>(e) * 1e-12);
  const bool drop = h5::read_attr_int(sum, "requests_dropped") > 0;
  for (std::size_t k = 0; k < event.size(); ++k) {
    const double at_s = static_cast<double>(at[k]) * 1e-12;
    const double resume_s = static_cast<double>(resume[k]) * 1e-12;
    std::string v = fmt("at %.3f s, serving again at ", at_s) + fmt("%.3f s", resume_s);
    if (event[k] == 0) {
      v += ", " + std::to_string(lost[k]) + (drop ? " requests dropped" : " requests requeued");
      if (unplaced[k] > 0) v += ", " + std::to_string(unplaced[k]) + " experts without a copy";
      // Before: the second half of the time up to the failure (past the start-up ramp).
      const double before = rate(end_s, tokens, at_s / 2, at_s);
      std::string back = "not within the run";
      for (double t : end_s)
        if (t >= resume_s + kWindowS && rate(end_s, tokens, t - kWindowS, t) >= 0.95 * before) {
          back = fmt("%.1f s after the failure", t - at_s);
          break;
        }
      out.emplace_back("node " + std::to_string(node[k]) + " failed", v);
      out.emplace_back("  95% of the throughput before it", back);
    } else {
      out.emplace_back("node " + std::to_string(node[k]) + " rejoined", v);
    }
  }
  out.emplace_back("dropped pairs / requeued / dropped req.",
                   std::to_string(h5::read_attr_int(sum, "records_dropped")) + " / " +
                       std::to_string(h5::read_attr_int(sum, "requests_requeued")) + " / " +
                       std::to_string(h5::read_attr_int(sum, "requests_dropped")));
  return out;
}

}  // namespace sievesim
