// `even`: each request's tokens use one replica chosen by a hash of (request, expert), so the
// replicas share an expert's requests evenly whatever node the tokens come from.
#include "place/replica_dispatch.hpp"

namespace sievesim {
namespace {

class EvenDispatch final : public ReplicaDispatch {
 public:
  explicit EvenDispatch(const Params&) {}
  std::int32_t pick(std::span<const std::int32_t> replicas, std::int32_t expert,
                    std::uint64_t request, const DispatchView&) const override {
    return replicas[replica_hash(request, expert, replicas.size())];
  }
};

}  // namespace

SIEVESIM_REGISTER(ReplicaDispatchRegistry, "even",
                  "a hash of (request, expert) picks the replica: requests spread evenly",
                  [](const Params& p) { return std::make_unique<EvenDispatch>(p); })

}  // namespace sievesim
