// Every request has the same length: the paper's decode sweeps, and hand-checkable tests.
#include "workload/requests.hpp"

namespace sievesim {
namespace {

class FixedLength final : public LengthDistribution {
 public:
  explicit FixedLength(const Params& p)
      : tokens_(p.param<std::int64_t>("tokens")
                    .min(1)
                    .max(1 << 24)
                    .desc("length of every request, tokens (`prompt: N` is short for it)")
                    .required()) {}
  std::int64_t sample(RandomStream&) const override { return tokens_; }
  std::int64_t max_tokens() const override { return tokens_; }

 private:
  std::int64_t tokens_;
};

}  // namespace

SIEVESIM_REGISTER(LengthRegistry, "fixed", "every request has `tokens` tokens",
                  [](const Params& p, const LengthContext&) {
                    return std::make_unique<FixedLength>(p);
                  })

}  // namespace sievesim
