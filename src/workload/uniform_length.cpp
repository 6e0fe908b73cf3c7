// Lengths uniform over [min, max]: a spread without a tail.
#include "workload/requests.hpp"

namespace sievesim {
namespace {

class UniformLength final : public LengthDistribution {
 public:
  explicit UniformLength(const Params& p)
      : min_(p.param<std::int64_t>("min")
                 .min(1)
                 .max(1 << 24)
                 .desc("shortest length, tokens")
                 .required()),
        max_(p.param<std::int64_t>("max")
                 .min(1)
                 .max(1 << 24)
                 .desc("longest length, tokens (at least min)")
                 .required()) {
    if (max_ < min_)
      p.fail("max",
             "expected max >= min (" + std::to_string(min_) + "), got " + std::to_string(max_));
  }
  std::int64_t sample(RandomStream& rng) const override {
    return min_ + rng.next_below(static_cast<std::uint32_t>(max_ - min_ + 1));
  }
  std::int64_t max_tokens() const override { return max_; }

 private:
  std::int64_t min_, max_;
};

}  // namespace

SIEVESIM_REGISTER(LengthRegistry, "uniform", "lengths uniform over [min, max]",
                  [](const Params& p, const LengthContext&) {
                    return std::make_unique<UniformLength>(p);
                  })

}  // namespace sievesim
