#include "engine/ports.hpp"

#include <algorithm>
#include <tuple>

namespace sievesim {

void NodePorts::send(std::int32_t self, std::int64_t nodes, std::vector<OutMessage>& msgs,
                     const Topology& topo, sim_time_t call_ps) {
  auto ring = [&](std::int32_t dst) { return (dst - self + nodes) % nodes; };
  std::sort(msgs.begin(), msgs.end(), [&](const OutMessage& a, const OutMessage& b) {
    return std::make_tuple(a.ready_ps, ring(a.dst)) < std::make_tuple(b.ready_ps, ring(b.dst));
  });
  if (call_ps > 0 && !msgs.empty()) {
    // The call is launched when its first message is ready; the local copy is part of the same
    // kernel, so it waits too.
    const sim_time_t open = msgs.front().ready_ps + call_ps;
    for (auto& m : msgs) m.ready_ps = std::max(m.ready_ps, open);
  }
  for (auto& m : msgs) {
    const Fabric f = topo.fabric(self, m.dst);
    if (f == Fabric::kLocal) {
      m.eg_start_ps = m.ready_ps;
      m.eg_end_ps = m.ready_ps + topo.local_copy_ps(m.bytes);
      continue;
    }
    sim_time_t& port = egress(f);
    m.eg_start_ps = std::max(port, m.ready_ps);
    m.eg_end_ps = m.eg_start_ps + topo.model(f).transfer_ps(m.bytes);
    port = m.eg_end_ps;
  }
}

void NodePorts::receive(std::int32_t self, std::vector<InMessage>& msgs, const Topology& topo) {
  auto first_byte = [&](const InMessage& m) {
    const Fabric f = topo.fabric(m.src, self);
    return f == Fabric::kLocal ? m.eg_start_ps : m.eg_start_ps + topo.model(f).latency_ps();
  };
  std::sort(msgs.begin(), msgs.end(), [&](const InMessage& a, const InMessage& b) {
    return std::make_tuple(first_byte(a), a.src) < std::make_tuple(first_byte(b), b.src);
  });
  for (auto& m : msgs) {
    const Fabric f = topo.fabric(m.src, self);
    if (f == Fabric::kLocal) {
      m.arrival_ps = m.eg_end_ps;
      continue;
    }
    const FabricModel& fm = topo.model(f);
    sim_time_t& port = ingress(f);
    // Cut-through: the receiver takes bytes as they come, so the last byte lands no earlier than
    // the sender's last byte plus the hop latency, and no earlier than its own port allows.
    const sim_time_t start = std::max(port, first_byte(m));
    m.arrival_ps = std::max(start + fm.transfer_ps(m.bytes), m.eg_end_ps + fm.latency_ps());
    port = m.arrival_ps;
  }
}

}  // namespace sievesim
