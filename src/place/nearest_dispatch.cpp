// `nearest`: the copy on the token's own node if there is one, else one in its server (the
// scale-up domain, NVLink), else any; ties spread by the (request, expert) hash. It trades load
// balance for traffic that stays off the slower scale-out links.
#include <vector>

#include "place/replica_dispatch.hpp"

namespace sievesim {
namespace {

class NearestDispatch final : public ReplicaDispatch {
 public:
  explicit NearestDispatch(const Params&) {}
  std::int32_t pick(std::span<const std::int32_t> replicas, std::int32_t expert,
                    std::uint64_t request, const DispatchView& v) const override {
    const std::int64_t server = v.home_node / v.gpus_per_server;
    std::int32_t local = -1;
    std::vector<std::int32_t> same_server;
    for (auto n : replicas) {
      if (n == v.home_node) local = n;
      if (n / v.gpus_per_server == server) same_server.push_back(n);
    }
    if (local >= 0) return local;
    if (!same_server.empty()) return same_server[replica_hash(request, expert, same_server.size())];
    return replicas[replica_hash(request, expert, replicas.size())];
  }
};

}  // namespace

SIEVESIM_REGISTER(ReplicaDispatchRegistry, "nearest",
                  "the replica on the token's node, else in its server, else any (hash ties)",
                  [](const Params& p) { return std::make_unique<NearestDispatch>(p); })

}  // namespace sievesim
