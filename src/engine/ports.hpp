#pragma once
// The two-port network timing of DESIGN §2: a message serializes on the sender's egress port of
// its fabric (hw/net/topology.hpp says which), then on the receiver's ingress port; each hop adds
// the fabric's latency. Tokens to the node itself cost a local HBM copy only.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/time.hpp"
#include "hw/net/topology.hpp"

namespace sievesim {

// An outgoing message of one phase (dispatch or combine) of one node.
struct OutMessage {
  std::int32_t dst = 0;
  double bytes = 0;
  sim_time_t ready_ps = 0;     // earliest time it may leave
  sim_time_t eg_start_ps = 0;  // filled by NodePorts::send
  sim_time_t eg_end_ps = 0;
};

// An incoming message, as the receiver learns it from the records.
struct InMessage {
  std::int32_t src = 0;
  double bytes = 0;
  sim_time_t eg_start_ps = 0;
  sim_time_t eg_end_ps = 0;
  sim_time_t arrival_ps = 0;  // filled by NodePorts::receive: last byte received
  std::size_t index = 0;      // the caller's own numbering (receive reorders the list)
};

class NodePorts {
 public:
  NodePorts() = default;
  // Serializes `msgs` on this node's egress ports in order of (ready time, ring distance), the
  // order all-to-all kernels use to spread load over receivers. `call_ps` is the call's fixed
  // cost: no message leaves before the first is ready plus it.
  void send(std::int32_t self, std::int64_t nodes, std::vector<OutMessage>& msgs,
            const Topology& topo, sim_time_t call_ps = 0);
  // Serializes `msgs` on this node's ingress ports in order of first-byte arrival.
  void receive(std::int32_t self, std::vector<InMessage>& msgs, const Topology& topo);

 private:
  sim_time_t& egress(Fabric f) { return f == Fabric::kScaleUp ? egress_up_ : egress_out_; }
  sim_time_t& ingress(Fabric f) { return f == Fabric::kScaleUp ? ingress_up_ : ingress_out_; }
  sim_time_t egress_up_ = 0, egress_out_ = 0, ingress_up_ = 0, ingress_out_ = 0;
};

}  // namespace sievesim
