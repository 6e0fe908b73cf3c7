#pragma once
// Simulated time is integer picoseconds: results are exact, reproducible and independent of the
// order in which ranks add things up.
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace sievesim {

using sim_time_t = std::int64_t;

inline constexpr sim_time_t kPsPerNs = 1'000;
inline constexpr sim_time_t kPsPerUs = 1'000'000;
inline constexpr sim_time_t kPsPerS = 1'000'000'000'000;
inline constexpr sim_time_t kTimeNever = std::numeric_limits<sim_time_t>::max();

// Rounds up, so a cost model never reports a non-zero amount of work as free; a value within
// binary rounding noise of a whole picosecond (1000.0000000000001) counts as that picosecond.
// Durations past 2^62 ps (53 days) mean a nonsensical parameter: an error, never a wrap-around.
inline sim_time_t seconds_to_ps(double seconds) {
  if (!(seconds > 0.0)) return 0;
  const double ps = seconds * 1e12;
  if (!(ps < 4.6e18)) throw std::range_error("a cost model produced a duration beyond 2^62 ps");
  const double whole = std::round(ps);
  if (std::fabs(ps - whole) <= 1e-12 * ps) return static_cast<sim_time_t>(whole);
  return static_cast<sim_time_t>(std::ceil(ps));
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
