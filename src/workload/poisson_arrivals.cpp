// Open loop: `count` requests with exponential inter-arrival gaps at `rate_per_s` (a Poisson
// process), independent of how fast the cluster serves them.
#include <cmath>

#include "workload/requests.hpp"

namespace sievesim {
namespace {

class PoissonArrivals final : public ArrivalProcess {
 public:
  PoissonArrivals(const Params& p, const ArrivalContext& ctx)
      : ctx_(ctx),
        rate_per_s_(p.param<double>("rate_per_s")
                        .above(0)
                        .max(1e9)
                        .desc("mean arrival rate, requests per simulated second")
                        .required()),
        count_(
            p.param<std::int64_t>("count").min(1).max(1 << 24).desc("requests in all").dflt(256)) {}
  std::vector<RequestSpec> initial() override {
    std::vector<RequestSpec> out;
    RandomStream rng(stream_seed(ctx_.seed, StreamId::kArrivals), 0, 0, 0);
    double t_s = 0;
    for (std::int64_t i = 0; i < count_; ++i) {
      t_s += -std::log(1.0 - rng.next_double()) / rate_per_s_;
      out.push_back(sample_request(ctx_, i, seconds_to_ps(t_s)));
    }
    return out;
  }
  std::int64_t total() const override { return count_; }
  std::int64_t max_prompt_tokens() const override { return ctx_.prompt->max_tokens(); }
  std::int64_t max_output_tokens() const override { return ctx_.output->max_tokens(); }

 private:
  ArrivalContext ctx_;
  double rate_per_s_;
  std::int64_t count_;
};

}  // namespace

SIEVESIM_REGISTER(ArrivalRegistry, "poisson",
                  "open loop: `count` requests arriving as a Poisson process at `rate_per_s`",
                  [](const Params& p, const ArrivalContext& c) {
                    return std::make_unique<PoissonArrivals>(p, c);
                  })

}  // namespace sievesim
