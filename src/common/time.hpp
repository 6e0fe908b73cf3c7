#pragma once
// Simulated time is integer picoseconds: results are exact, reproducible and independent of the
// order in which ranks add things up.
#include <cmath>
#include <cstdint>
#include <limits>

namespace sievesim {

using sim_time_t = std::int64_t;

inline constexpr sim_time_t kPsPerNs = 1'000;
inline constexpr sim_time_t kPsPerUs = 1'000'000;
inline constexpr sim_time_t kPsPerS = 1'000'000'000'000;
inline constexpr sim_time_t kTimeNever = std::numeric_limits<sim_time_t>::max();

// Rounds up: a cost model must never report a non-zero amount of work as free.
inline sim_time_t seconds_to_ps(double seconds) {
  if (seconds <= 0.0) return 0;
  return static_cast<sim_time_t>(std::ceil(seconds * 1e12));
}
inline sim_time_t ns_to_ps(double ns) { return seconds_to_ps(ns * 1e-9); }
inline sim_time_t us_to_ps(double us) { return seconds_to_ps(us * 1e-6); }
inline double ps_to_us(sim_time_t ps) { return static_cast<double>(ps) * 1e-6; }
inline double ps_to_s(sim_time_t ps) { return static_cast<double>(ps) * 1e-12; }

}  // namespace sievesim
