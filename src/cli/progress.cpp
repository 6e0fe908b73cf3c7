#include "cli/progress.hpp"

#include <algorithm>

namespace sievesim::cli {
namespace {

std::string seconds(double s) {
  char buf[32];
  if (s < 120)
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  else
    std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
  return buf;
}

}  // namespace

void ProgressLine::start_point(std::size_t index, std::size_t count, const std::string& label) {
  point_ = "point " + std::to_string(index + 1) + "/" + std::to_string(count) + " " + label;
  t0_ = std::chrono::steady_clock::now();
  last_print_s_ = -1;
  last_ = Progress{};
}

std::string ProgressLine::text(const Progress& p, double elapsed_s) const {
  char buf[256];
  std::string it = std::to_string(p.iterations_done);
  if (p.iterations_limit > 0) it += "/" + std::to_string(p.iterations_limit);
  std::snprintf(buf, sizeof buf,
                "[sievesim] %s: iteration %s, %lld/%lld requests done, "
                "simulated %.3f ms, %s elapsed",
                point_.c_str(), it.c_str(), static_cast<long long>(p.requests_finished),
                static_cast<long long>(p.requests_total), static_cast<double>(p.sim_time_ps) * 1e-9,
                seconds(elapsed_s).c_str());
  std::string s = buf;
  // The time left from the larger of the two fractions done: iterations of a capped run, or
  // requests finished (a run ends when the last one does).
  double done = p.requests_total > 0 ? static_cast<double>(p.requests_finished) /
                                           static_cast<double>(p.requests_total)
                                     : 0.0;
  if (p.iterations_limit > 0)
    done = std::max(
        done, static_cast<double>(p.iterations_done) / static_cast<double>(p.iterations_limit));
  if (done > 0 && done < 1) s += ", ~" + seconds(elapsed_s * (1 - done) / done) + " left";
  return s;
}

void ProgressLine::update(const Progress& p) {
  if (!enabled_) return;
  last_ = p;
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  if (terminal_) {
    std::fprintf(out_, "\r%s   ", text(p, el).c_str());
  } else if (last_print_s_ < 0 || el - last_print_s_ >= every_s_) {
    std::fprintf(out_, "%s\n", text(p, el).c_str());
    last_print_s_ = el;
  } else {
    return;
  }
  std::fflush(out_);
}

void ProgressLine::end_point() {
  if (!enabled_) return;
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  if (terminal_)
    std::fprintf(out_, "\r%s, done   \n", text(last_, el).c_str());
  else
    std::fprintf(out_, "%s, done\n", text(last_, el).c_str());
  std::fflush(out_);
}

}  // namespace sievesim::cli
