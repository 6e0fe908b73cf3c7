#pragma once
// Network cost model of one fabric (scale-up or scale-out): how long a message occupies a port,
// and the latency of a hop. The port serialization itself lives in engine/ports.hpp, the choice of
// fabric in topology.hpp.
#include <memory>

#include "base/params.hpp"
#include "base/registry.hpp"
#include "base/time.hpp"

namespace sievesim {

// The two all-to-all calls of an MoE layer; kernels differ in their fixed cost (a combine also
// reduces, a dispatch also sends the layout first).
enum class CallKind { kDispatch, kCombine };

class FabricModel {
 public:
  virtual ~FabricModel() = default;
  // Time `bytes` occupy one direction of a port.
  virtual sim_time_t transfer_ps(double bytes) const = 0;
  virtual sim_time_t latency_ps() const = 0;
  virtual double bandwidth_Bps() const = 0;  // achievable, per direction
  // Fixed cost of one expert-parallel all-to-all call over this fabric, whatever its bytes:
  // kernel launch, signalling the peers, polling for their arrival.
  virtual sim_time_t call_ps(CallKind kind) const = 0;

  // Energy of one byte from one GPU to another over this fabric, pJ (the preset's
  // energy_pj_per_bit; make_fabric_model sets it).
  double pj_per_byte() const { return pj_per_byte_; }
  void set_pj_per_byte(double v) { pj_per_byte_ = v; }

 private:
  double pj_per_byte_ = 0;
};

using FabricRegistry = Registry<FabricModel, const Params&>;

std::unique_ptr<FabricModel> make_fabric_model(const Params& p);

}  // namespace sievesim
