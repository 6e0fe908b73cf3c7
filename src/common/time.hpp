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

// Rounds up, so a cost model never reports a non-zero amount of work as free; the 1e-12 relative
// nudge keeps binary rounding noise (1000.0000000000001 ps) from adding a picosecond.
inline sim_time_t seconds_to_ps(double seconds) {
  if (seconds <= 0.0) return 0;
  return static_cast<sim_time_t>(std::ceil(seconds * 1e12 * (1.0 - 1e-12)));
}
inline sim_time_t ns_to_ps(double ns) {
  return seconds_to_ps(ns * 1e-9);
}
inline sim_time_t us_to_ps(double us) {
  return seconds_to_ps(us * 1e-6);
}
inline double ps_to_us(sim_time_t ps) {
  return static_cast<double>(ps) * 1e-6;
}
inline double ps_to_s(sim_time_t ps) {
  return static_cast<double>(ps) * 1e-12;
}

}  // namespace sievesim
