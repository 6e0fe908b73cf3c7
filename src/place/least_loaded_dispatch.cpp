// `least-loaded`: the replica on the node this home node has sent the fewest (token, expert)
// pairs to so far in the layer; ties by the (request, expert) hash. Each source balances what it
// sends, so the sum over sources is balanced too, without a global exchange on the critical path.
#include <limits>

#include "place/replica_dispatch.hpp"

namespace sievesim {
namespace {

class LeastLoadedDispatch final : public ReplicaDispatch {
 public:
  explicit LeastLoadedDispatch(const Params&) {}
  std::int32_t pick(std::span<const std::int32_t> replicas, std::int32_t expert,
                    std::uint64_t request, const DispatchView& v) const override {
    // Start the scan at the hashed replica so equal counts do not all favour the lowest id.
    const std::size_t n = replicas.size(), first = replica_hash(request, expert, n);
    std::int32_t best = replicas[first];
    std::int64_t best_sent = std::numeric_limits<std::int64_t>::max();
    for (std::size_t i = 0; i < n; ++i) {
      const auto node = replicas[(first + i) % n];
      const auto sent = v.sent_to[static_cast<std::size_t>(node)];
      if (sent < best_sent) best = node, best_sent = sent;
    }
    return best;
  }
};

}  // namespace

SIEVESIM_REGISTER(ReplicaDispatchRegistry, "least-loaded",
                  "the replica on the node this source has sent the fewest tokens in the layer",
                  [](const Params& p) { return std::make_unique<LeastLoadedDispatch>(p); })

}  // namespace sievesim
