#pragma once
// Which node a new request goes to (data-parallel attention: its KV cache lives there for its
// whole life). Chosen by name under `workload.batching.assignment`.
#include <cstdint>
#include <memory>
#include <span>

#include "base/params.hpp"
#include "base/registry.hpp"
#include "workload/requests.hpp"

namespace sievesim {

class NodeAssignment {
 public:
  virtual ~NodeAssignment() = default;
  // `outstanding[n]`: requests node n holds (queued or running), as every rank knows it at the
  // iteration boundary, including the ones assigned earlier in this round.
  virtual std::int32_t pick(const RequestSpec& r, std::span<const std::int64_t> outstanding) = 0;
};
using AssignmentRegistry = Registry<NodeAssignment, const Params&>;

}  // namespace sievesim
