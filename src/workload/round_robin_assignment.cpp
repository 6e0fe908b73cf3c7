// Request i of the run goes to node i mod N: even counts, blind to lengths and load.
#include "workload/assignment.hpp"

namespace sievesim {
namespace {

class RoundRobin final : public NodeAssignment {
 public:
  explicit RoundRobin(const Params&) {}
  std::int32_t pick(const RequestSpec&, std::span<const std::int64_t> outstanding) override {
    const auto n = static_cast<std::int64_t>(outstanding.size());
    return static_cast<std::int32_t>(next_++ % n);
  }

 private:
  std::int64_t next_ = 0;
};

}  // namespace

SIEVESIM_REGISTER(AssignmentRegistry, "round-robin", "request i goes to node i mod N",
                  [](const Params& p) { return std::make_unique<RoundRobin>(p); })

}  // namespace sievesim
