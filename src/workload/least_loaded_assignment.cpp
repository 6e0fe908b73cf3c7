// A request goes to the node holding the fewest requests (lowest id on ties): evens out load
// when lengths vary or requests finish unevenly.
#include <algorithm>

#include "workload/assignment.hpp"

namespace sievesim {
namespace {

class LeastLoaded final : public NodeAssignment {
 public:
  explicit LeastLoaded(const Params&) {}
  std::int32_t pick(const RequestSpec&, std::span<const std::int64_t> outstanding) override {
    return static_cast<std::int32_t>(std::min_element(outstanding.begin(), outstanding.end()) -
                                     outstanding.begin());
  }
};

}  // namespace

SIEVESIM_REGISTER(AssignmentRegistry, "least-loaded",
                  "a request goes to the node with the fewest queued + running requests",
                  [](const Params& p) { return std::make_unique<LeastLoaded>(p); })

}  // namespace sievesim
