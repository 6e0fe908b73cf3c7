#pragma once
// Replica dispatch: the token-level rule by which a token picks one copy of a replicated expert
// (`placement.replica_dispatch`). The rule runs on the token's home node with what that node
// knows — the replicas, the token's identity, the cluster's server layout, and the tokens it has
// already sent to each node in this layer — so the choice never depends on the rank layout.
#include <cstdint>
#include <memory>
#include <span>

#include "base/params.hpp"
#include "base/registry.hpp"

namespace sievesim {

struct DispatchView {
  std::int32_t home_node = 0;
  std::int64_t gpus_per_server = 1;
  // (token, expert) pairs this home node has sent to each node in the current layer.
  std::span<const std::int64_t> sent_to;
};

class ReplicaDispatch {
 public:
  virtual ~ReplicaDispatch() = default;
  // One of `replicas` (two or more, ascending node ids) for `expert` of `request`'s token.
  virtual std::int32_t pick(std::span<const std::int32_t> replicas, std::int32_t expert,
                            std::uint64_t request, const DispatchView& view) const = 0;
};

// A well-mixed hash of (request, expert): spreads requests evenly over `n` choices, the same
// answer on every rank.
inline std::size_t replica_hash(std::uint64_t request, std::int32_t expert, std::size_t n) {
  std::uint64_t h = request * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(expert);
  h ^= h >> 29;
  return static_cast<std::size_t>(h % n);
}

using ReplicaDispatchRegistry = Registry<ReplicaDispatch, const Params&>;

// From `placement.replica_dispatch` (default `even`).
std::unique_ptr<ReplicaDispatch> make_replica_dispatch(const Params& placement);

}  // namespace sievesim
