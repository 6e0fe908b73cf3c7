// Closed loop at fixed concurrency: `concurrency` clients each send a request at time 0 and the
// next one the moment the previous finishes, `per_client` requests each. How the paper sweeps
// throughput against interactivity: the batch stays at the concurrency.
#include "workload/requests.hpp"

namespace sievesim {
namespace {

class ClosedArrivals final : public ArrivalProcess {
 public:
  ClosedArrivals(const Params& p, const ArrivalContext& ctx)
      : ctx_(ctx),
        concurrency_(p.param<std::int64_t>("concurrency")
                         .min(1)
                         .max(1 << 24)
                         .desc("clients, so requests in flight over the cluster")
                         .dflt(64)),
        total_(concurrency_ * p.param<std::int64_t>("per_client")
                                  .min(1)
                                  .max(1 << 20)
                                  .desc("requests each client sends, one after the other")
                                  .dflt(1)) {}
  std::vector<RequestSpec> initial() override {
    std::vector<RequestSpec> out;
    for (issued_ = 0; issued_ < concurrency_ && issued_ < total_; ++issued_)
      out.push_back(sample_request(ctx_, issued_, 0));
    return out;
  }
  std::vector<RequestSpec> on_finish(sim_time_t finish_ps) override {
    if (issued_ >= total_) return {};
    return {sample_request(ctx_, issued_++, finish_ps)};
  }
  std::int64_t total() const override { return total_; }
  std::int64_t max_prompt_tokens() const override { return ctx_.prompt->max_tokens(); }
  std::int64_t max_output_tokens() const override { return ctx_.output->max_tokens(); }

 private:
  ArrivalContext ctx_;
  std::int64_t concurrency_, total_, issued_ = 0;
};

}  // namespace

SIEVESIM_REGISTER(ArrivalRegistry, "closed",
                  "closed loop: `concurrency` clients, each sending its next request when the "
                  "previous finishes, `per_client` requests each",
                  [](const Params& p, const ArrivalContext& c) {
                    return std::make_unique<ClosedArrivals>(p, c);
                  })

}  // namespace sievesim
