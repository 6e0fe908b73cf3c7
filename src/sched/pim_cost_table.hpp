#pragma once
// Sieve's per-token-count PIM cost table: an exponential moving average of measured PIM expert
// times, indexed by the expert's token count; a count never seen falls back to the roofline.
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "base/time.hpp"

namespace sievesim {

// Counts below kDense live in arrays (the common case, one lookup per active expert and layer);
// larger ones, which only huge batches reach, in a map, so a node that once ran an expert for
// 30,000 tokens does not keep a 30,000-entry table (it matters at thousands of nodes).
class PimCostTable {
 public:
  static constexpr std::int32_t kDense = 1024;
  explicit PimCostTable(double alpha) : alpha_(alpha) {}

  bool known(std::int32_t tokens) const { return find(tokens) != nullptr; }
  sim_time_t estimate(std::int32_t tokens, sim_time_t roofline_ps) const {
    const double* ema = find(tokens);
    return ema ? static_cast<sim_time_t>(*ema) : roofline_ps;
  }
  void observe(std::int32_t tokens, sim_time_t measured_ps) {
    if (tokens < 0) return;
    double* ema = nullptr;
    bool seen = false;
    if (tokens < kDense) {
      const auto i = static_cast<std::size_t>(tokens);
      if (i >= seen_.size()) {
        seen_.resize(i + 1, false);
        ema_ps_.resize(i + 1, 0.0);
      }
      ema = &ema_ps_[i];
      seen = seen_[i];
      seen_[i] = true;
    } else {
      auto [it, added] = large_.try_emplace(tokens, 0.0);
      ema = &it->second;
      seen = !added;
    }
    *ema = seen ? alpha_ * static_cast<double>(measured_ps) + (1 - alpha_) * *ema
                : static_cast<double>(measured_ps);
  }

 private:
  const double* find(std::int32_t tokens) const {
    if (tokens < 0) return nullptr;
    if (tokens < kDense) {
      const auto i = static_cast<std::size_t>(tokens);
      return i < seen_.size() && seen_[i] ? &ema_ps_[i] : nullptr;
    }
    const auto it = large_.find(tokens);
    return it == large_.end() ? nullptr : &it->second;
  }

  double alpha_;
  std::vector<bool> seen_;
  std::vector<double> ema_ps_;
  std::unordered_map<std::int32_t, double> large_;
};

}  // namespace sievesim
