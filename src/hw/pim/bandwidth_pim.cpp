// First-order PIM: the stacks' external bandwidth times an effective internal multiple, one pass
// per group of `input_vectors` tokens, and a fixed cost per pass for loading the input vector and
// reading the output back. The command-level model replaces it for faithful numbers.
#include <algorithm>

#include "hw/pim/pim_model.hpp"

namespace sievesim {
namespace {

class BandwidthPim final : public PimModel {
 public:
  explicit BandwidthPim(const Params& p)
      : stacks_(p.param<std::int64_t>("stacks").min(1).required()),
        ext_bw_per_stack_Bps_(
            p.param<double>("external_bandwidth_per_stack_GBps").above(0).required() * 1e9),
        internal_multiple_(p.param<double>("internal_bandwidth_multiple").above(0).required()),
        input_vectors_(p.param<std::int64_t>("input_vectors").min(1).dflt(1)),
        pass_overhead_ps_(ns_to_ps(p.param<double>("pass_overhead_ns").min(0).dflt(100))),
        attention_efficiency_(p.param<double>("attention_efficiency").above(0).max(1).dflt(0.7)) {
    p.param<std::string>("description").dflt("");
  }

  sim_time_t gemv_ps(std::int64_t rows, std::int64_t cols, std::int32_t tokens,
                     DType weights) const override {
    if (tokens <= 0) return 0;
    const std::int64_t passes = (tokens + input_vectors_ - 1) / input_vectors_;
    const double bytes = static_cast<double>(rows * cols) * dtype_bytes(weights);
    return passes * (seconds_to_ps(bytes / internal_bw_Bps()) + pass_overhead_ps_);
  }

  sim_time_t attention_ps(double kv_bytes, std::int64_t sequences) const override {
    if (kv_bytes <= 0 || sequences <= 0) return 0;
    return seconds_to_ps(kv_bytes / (internal_bw_Bps() * attention_efficiency_)) +
           2 * pass_overhead_ps_;
  }

  sim_time_t roofline_gemv_ps(std::int64_t rows, std::int64_t cols, std::int32_t tokens,
                              DType weights) const override {
    if (tokens <= 0) return 0;
    const double bytes = static_cast<double>(rows * cols) * dtype_bytes(weights);
    return seconds_to_ps(bytes / internal_bw_Bps());
  }

 private:
  double internal_bw_Bps() const {
    return static_cast<double>(stacks_) * ext_bw_per_stack_Bps_ * internal_multiple_;
  }
  std::int64_t stacks_;
  double ext_bw_per_stack_Bps_, internal_multiple_;
  std::int64_t input_vectors_;
  sim_time_t pass_overhead_ps_;
  double attention_efficiency_;
};

}  // namespace

SIEVESIM_REGISTER(
    PimRegistry, "bandwidth",
    "stacks x external bandwidth x internal multiple, one pass per input vector group",
    [](const Params& p) { return std::make_unique<BandwidthPim>(p); })

}  // namespace sievesim
