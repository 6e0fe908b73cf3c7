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
  bool done() const { return finished_ >= arrivals_.total(); }

 private:
  void add(std::vector<RequestSpec> rs);
  ArrivalProcess& arrivals_;
  NodeAssignment& assignment_;
  std::deque<RequestSpec> pending_;  // by (arrival, id)
  std::vector<std::int64_t> load_;
  std::int64_t finished_ = 0;
};

}  // namespace sievesim
