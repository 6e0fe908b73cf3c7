// Lognormal lengths (median, sigma of the log), clipped to [1, max]: the heavy right tail of
// real chat prompts and answers.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "workload/requests.hpp"

namespace sievesim {
namespace {

class LognormalLength final : public LengthDistribution {
 public:
  explicit LognormalLength(const Params& p)
      : median_(p.param<double>("median")
                    .above(0)
                    .max(1 << 24)
                    .desc("median length, tokens")
                    .required()),
        sigma_(p.param<double>("sigma")
                   .min(0)
                   .max(10)
                   .desc("standard deviation of the length's natural logarithm")
                   .required()),
        max_(p.param<std::int64_t>("max")
                 .min(1)
                 .max(1 << 24)
                 .desc("longest length, tokens: longer draws are clipped to it")
                 .default_text("ceil(8 x median)")
                 .dflt(static_cast<std::int64_t>(std::ceil(8 * median_)))) {}
  std::int64_t sample(RandomStream& rng) const override {
    // Box-Muller; 1 - u keeps the logarithm finite.
    const double u1 = 1.0 - rng.next_double(), u2 = rng.next_double();
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
    const auto v = static_cast<std::int64_t>(std::llround(median_ * std::exp(sigma_ * z)));
    return std::clamp<std::int64_t>(v, 1, max_);
  }
  std::int64_t max_tokens() const override { return max_; }

 private:
  double median_, sigma_;
  std::int64_t max_;
};

}  // namespace

SIEVESIM_REGISTER(LengthRegistry, "lognormal",
                  "lognormal lengths with `median` and log-space `sigma`, clipped to [1, max] "
                  "(default max 8 x median)",
                  [](const Params& p, const LengthContext&) {
                    return std::make_unique<LognormalLength>(p);
                  })

}  // namespace sievesim
