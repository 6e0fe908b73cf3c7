// alpha-beta link: a message costs latency + bytes / (bandwidth x achievable fraction); each
// all-to-all call adds a fixed cost (launch, signalling, polling) before its first byte leaves.
#include "base/select.hpp"
#include "hw/net/fabric_model.hpp"

namespace sievesim {
namespace {

class AlphaBetaFabric final : public FabricModel {
 public:
  explicit AlphaBetaFabric(const Params& p)
      : bw_Bps_(p.param<double>("bandwidth_GBps")
                    .min(1e-3)
                    .max(1e6)
                    .desc("link bandwidth per direction per GPU, GB/s (datasheet)")
                    .required() *
                1e9 *
                p.param<double>("efficiency")
                    .above(0)
                    .max(1)
                    .desc("fraction of bandwidth_GBps transfers achieve")
                    .dflt(0.8)),
        latency_ps_(us_to_ps(p.param<double>("latency_us")
                                 .min(0)
                                 .max(1e6)
                                 .desc("latency of one hop, us: added to every message")
                                 .required())),
        dispatch_call_ps_(us_to_ps(p.param<double>("dispatch_call_us")
                                       .min(0)
                                       .max(1e6)
                                       .desc("fixed cost of one all-to-all dispatch call (launch, "
                                             "signalling, polling), us")
                                       .dflt(0))),
        combine_call_ps_(us_to_ps(p.param<double>("combine_call_us")
                                      .min(0)
                                      .max(1e6)
                                      .desc("fixed cost of one all-to-all combine call, us")
                                      .dflt(0))) {
    p.param<std::string>("description").desc("free text naming the fabric (not used)").dflt("");
  }
  sim_time_t transfer_ps(double bytes) const override {
    return bytes <= 0 ? 0 : seconds_to_ps(bytes / bw_Bps_);
  }
  sim_time_t latency_ps() const override { return latency_ps_; }
  double bandwidth_Bps() const override { return bw_Bps_; }
  sim_time_t call_ps(CallKind kind) const override {
    return kind == CallKind::kDispatch ? dispatch_call_ps_ : combine_call_ps_;
  }

 private:
  double bw_Bps_;
  sim_time_t latency_ps_;
  sim_time_t dispatch_call_ps_, combine_call_ps_;
};

}  // namespace

SIEVESIM_REGISTER(FabricRegistry, "alpha-beta", "latency + bytes / achievable bandwidth",
                  [](const Params& p) { return std::make_unique<AlphaBetaFabric>(p); })

std::unique_ptr<FabricModel> make_fabric_model(const Params& p) {
  auto m = make_impl<FabricRegistry>(p, "fabric model");
  m->set_pj_per_byte(8.0 * p.param<double>("energy_pj_per_bit")
                               .min(0)
                               .max(1e4)
                               .desc("energy of one bit from GPU to GPU over this fabric, pJ: "
                                     "the links and switch ports it crosses (docs/energy.md)")
                               .required());
  return m;
}

}  // namespace sievesim
