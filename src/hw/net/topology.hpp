#pragma once
// Which fabric joins two nodes (the same server: scale-up; else scale-out; itself: a local copy)
// and what one all-to-all call costs on a cluster of a given size.
#include <cstdint>

#include "base/time.hpp"
#include "hw/net/fabric_model.hpp"

namespace sievesim {

enum class Fabric : std::uint8_t { kLocal, kScaleUp, kScaleOut };

class Topology {
 public:
  Topology(std::int64_t gpus_per_server, const FabricModel& scale_up, const FabricModel& scale_out,
           double local_copy_Bps)
      : gpus_per_server_(gpus_per_server),
        scale_up_(scale_up),
        scale_out_(scale_out),
        local_copy_Bps_(local_copy_Bps) {}

  Fabric fabric(std::int64_t a, std::int64_t b) const {
    if (a == b) return Fabric::kLocal;
    return a / gpus_per_server_ == b / gpus_per_server_ ? Fabric::kScaleUp : Fabric::kScaleOut;
  }
  const FabricModel& model(Fabric f) const {
    return f == Fabric::kScaleUp ? scale_up_ : scale_out_;
  }
  // Fixed cost of one all-to-all call in a cluster of `nodes`: none on one node (no call), the
  // scale-out fabric's once the group spans servers (the kernel waits for its slowest peers).
  sim_time_t call_ps(std::int64_t nodes, CallKind kind) const {
    if (nodes <= 1) return 0;
    return (nodes > gpus_per_server_ ? scale_out_ : scale_up_).call_ps(kind);
  }
  sim_time_t local_copy_ps(double bytes) const {
    return bytes <= 0 ? 0 : seconds_to_ps(bytes / local_copy_Bps_);
  }

 private:
  std::int64_t gpus_per_server_;
  const FabricModel& scale_up_;
  const FabricModel& scale_out_;
  double local_copy_Bps_;
};

}  // namespace sievesim
