#pragma once
// The progress line of `run` on rank 0: the point (i/N and its name), the iteration, requests
// done, simulated time, wall time and an estimate of the time left. Redrawn in place on a
// terminal; on a pipe or a log file one plain line at most every `every_s` seconds (0: every
// iteration) and one when a point ends; nothing when disabled (--quiet, other ranks).
#include <chrono>
#include <cstdio>
#include <string>

#include "engine/simulator.hpp"

namespace sievesim::cli {

class ProgressLine {
 public:
  ProgressLine(bool enabled, bool terminal, double every_s, std::FILE* out = stderr)
      : enabled_(enabled), terminal_(terminal), every_s_(every_s), out_(out) {}
  void start_point(std::size_t index, std::size_t count, const std::string& label);
  void update(const Progress& p);
  void end_point();

 private:
  std::string text(const Progress& p, double elapsed_s) const;
  bool enabled_, terminal_;
  double every_s_;
  std::FILE* out_;
  std::string point_;
  std::chrono::steady_clock::time_point t0_;
  double last_print_s_ = -1;
  Progress last_;
};

}  // namespace sievesim::cli
