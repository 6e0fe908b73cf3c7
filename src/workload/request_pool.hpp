#pragma once
// The cluster's front end: requests that have arrived (or will) and are not yet on a node.
// Every rank keeps an identical copy and advances it with the same global information at every
// iteration boundary, so assignments need no extra communication and do not depend on ranks.
#include <cstdint>
#include <deque>
#include <span>
#include <utility>
#include <vector>

#include "workload/assignment.hpp"
#include "workload/requests.hpp"

namespace sievesim {

struct FinishedRequest {
  sim_time_t finish_ps = 0;
  std::int64_t id = 0;
};

struct Assigned {
  std::int32_t node = 0;
  RequestSpec request;
};

class RequestPool {
 public:
  RequestPool(ArrivalProcess& arrivals, NodeAssignment& assignment, std::int64_t nodes);

  // One iteration boundary. `now_ps`: the latest node clock; `outstanding[n]`: requests node n
  // holds; `finished`: requests that finished in the iteration (any order). Returns the new
  // assignments, in assignment order. When no node holds work, time jumps to the next arrival.
  std::vector<Assigned> step(sim_time_t now_ps, std::span<const std::int64_t> outstanding,
                             std::vector<FinishedRequest> finished);

  std::int64_t finished() const { return finished_; }
  std::int64_t total() const { return arrivals_.total(); }
  bool done() const { return finished_ + dropped_ >= arrivals_.total(); }

  // Faults: a node that is down gets no requests; a failed node's requests come back to the
  // front end to be assigned again (their arrival unchanged) or are dropped at `now_ps` (a
  // closed-loop client then sends its next request).
  void set_down(std::int32_t node, bool down) { down_[static_cast<std::size_t>(node)] = down; }
  void requeue(std::vector<RequestSpec> rs);
  void drop(std::span<const RequestSpec> rs, sim_time_t now_ps);
  // Stragglers, when the front end is told (faults.speed_aware): node n's requests count
  // `weight[n]` times (its slowdown), so a load-aware assignment gives slow nodes fewer.
  void set_weights(std::vector<double> weight);
  std::int64_t requeued() const { return requeued_; }
  std::int64_t dropped() const { return dropped_; }

 private:
  void add(std::vector<RequestSpec> rs);
  ArrivalProcess& arrivals_;
  NodeAssignment& assignment_;
  std::deque<RequestSpec> pending_;  // by (arrival, id)
  std::vector<std::int64_t> load_;
  std::vector<bool> down_;
  std::vector<std::int64_t> weight_permille_;  // empty: every request counts 1
  std::int64_t finished_ = 0, requeued_ = 0, dropped_ = 0;
};

}  // namespace sievesim
