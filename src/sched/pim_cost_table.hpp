#pragma once
// Sieve's per-token-count PIM cost table: an exponential moving average of measured PIM expert
// times, indexed by the expert's token count; a count never seen falls back to the roofline.
#include <cstdint>
#include <vector>

#include "common/time.hpp"

namespace sievesim {

class PimCostTable {
 public:
  explicit PimCostTable(double alpha) : alpha_(alpha) {}

  bool known(std::int32_t tokens) const {
    return tokens >= 0 && static_cast<std::size_t>(tokens) < seen_.size() && seen_[tokens];
  }
  sim_time_t estimate(std::int32_t tokens, sim_time_t roofline_ps) const {
    return known(tokens) ? static_cast<sim_time_t>(ema_ps_[tokens]) : roofline_ps;
  }
  void observe(std::int32_t tokens, sim_time_t measured_ps) {
    if (tokens < 0) return;
    const auto i = static_cast<std::size_t>(tokens);
    if (i >= seen_.size()) {
      seen_.resize(i + 1, false);
      ema_ps_.resize(i + 1, 0.0);
    }
    ema_ps_[i] = seen_[i] ? alpha_ * static_cast<double>(measured_ps) + (1 - alpha_) * ema_ps_[i]
                          : static_cast<double>(measured_ps);
    seen_[i] = true;
  }

 private:
  double alpha_;
  std::vector<bool> seen_;
  std::vector<double> ema_ps_;
};

}  // namespace sievesim
