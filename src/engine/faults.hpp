#pragma once
// Simulated faults (`faults:`, config/faults.hpp): when nodes fail and rejoin, how fast each node
// runs in each iteration (stragglers), and where experts go while nodes are down. Everything here
// is a function of the configuration and seed, computed identically on every rank; the simulator
// (simulator.cpp) applies it at iteration boundaries.
#include <mpi.h>

#include <cstdint>
#include <span>
#include <vector>

#include "engine/results.hpp"
#include "engine/system.hpp"
#include "place/placement.hpp"

namespace sievesim {

class FaultInjector {
 public:
  explicit FaultInjector(const System& sys);
  bool has_failures() const { return !cfg_.failures.empty(); }
  bool has_stragglers() const { return cfg_.stragglers(); }

  // Node `node`'s GPU and PIM slowdown in iteration `it`: its configured factor times a
  // mean-one lognormal draw keyed by (seed, node, iteration).
  double gpu_factor(std::int64_t node, std::int64_t it) const;
  double pim_factor(std::int64_t node, std::int64_t it) const;

  struct Event {
    std::int32_t node = 0;
    bool rejoin = false;
  };
  // The failures and rejoins due at the boundary after `iteration` (time `now_ps`), in node
  // order; each is reported once, and `down()` reflects them afterwards.
  std::vector<Event> due(std::int64_t iteration, sim_time_t now_ps);
  bool down(std::int32_t node) const { return down_[static_cast<std::size_t>(node)]; }

  // The placement while `down()` nodes are out: `home`'s copies on the nodes that are up; each
  // (layer, expert) left with no copy goes (if re-placing is on) to a node that already holds it
  // in `current`, else to the up node with the fewest experts of that layer that has room:
  // `spare_bytes[n]` of HBM it can give to expert copies beyond `home`'s. `unplaced`: MoE
  // (layer, expert) pairs with no copy.
  ExpertMap place(const ExpertMap& home, const ExpertMap& current,
                  std::span<const double> spare_bytes, std::int64_t& unplaced) const;
  // `map` without the copies on `down()` nodes (what survives a failure).
  ExpertMap surviving(const ExpertMap& map) const;

 private:
  const System& sys_;
  const FaultConfig& cfg_;
  std::vector<std::uint8_t> down_;
  std::vector<std::uint8_t> failed_done_, rejoin_done_;  // per configured failure
};

class Node;
class Coordinator;
class RequestPool;

// What a fault boundary changes in a run (simulator.cpp's state): this rank's nodes (`first`
// the id of nodes[0]), the front end, the placement in effect, the fault rows.
struct FaultScene {
  const System& sys;
  MPI_Comm comm;
  std::span<Node> nodes;
  std::int64_t first;
  RequestPool& pool;
  ExpertMap& placement;
  const Coordinator& coordinator;
  std::vector<FaultRow>& rows;
  Node* local(std::int32_t node) const;  // the node if this rank hosts it
};

// Failures and rejoins due at the boundary after iteration `it` (time `now_ps`, the latest node
// clock): the failed nodes' requests go back to the front end or are dropped, the experts are
// re-placed on the nodes that are up, and the whole cluster waits for the pause and the weight
// moves; `outstanding` (requests per node) loses the failed nodes'. Collective: every rank calls
// it at every boundary and gets the same answer.
void apply_fault_events(FaultInjector& inj, FaultScene& sc, std::int64_t it, sim_time_t now_ps,
                        std::vector<std::int64_t>& outstanding);

}  // namespace sievesim
