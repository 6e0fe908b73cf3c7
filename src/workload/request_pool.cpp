#include "workload/request_pool.hpp"

#include <algorithm>
#include <cmath>

namespace sievesim {
namespace {
bool earlier(const RequestSpec& a, const RequestSpec& b) {
  return a.arrival_ps != b.arrival_ps ? a.arrival_ps < b.arrival_ps : a.id < b.id;
}
}  // namespace

RequestPool::RequestPool(ArrivalProcess& arrivals, NodeAssignment& assignment, std::int64_t nodes)
    : arrivals_(arrivals),
      assignment_(assignment),
      load_(static_cast<std::size_t>(nodes), 0),
      down_(static_cast<std::size_t>(nodes), false) {
  add(arrivals_.initial());
}

void RequestPool::add(std::vector<RequestSpec> rs) {
  for (auto& r : rs)
    pending_.insert(std::upper_bound(pending_.begin(), pending_.end(), r, earlier), r);
}

std::vector<Assigned> RequestPool::step(sim_time_t now_ps,
                                        std::span<const std::int64_t> outstanding,
                                        std::vector<FinishedRequest> finished) {
  // Closed-loop clients send their next request in the order their previous ones finished.
  std::sort(finished.begin(), finished.end(), [](const auto& a, const auto& b) {
    return a.finish_ps != b.finish_ps ? a.finish_ps < b.finish_ps : a.id < b.id;
  });
  for (const auto& f : finished) add(arrivals_.on_finish(f.finish_ps));
  finished_ += static_cast<std::int64_t>(finished.size());

  std::copy(outstanding.begin(), outstanding.end(), load_.begin());
  bool idle = std::all_of(load_.begin(), load_.end(), [](std::int64_t n) { return n == 0; });
  if (idle && !pending_.empty()) now_ps = std::max(now_ps, pending_.front().arrival_ps);
  // A node that is down looks full to a load-aware assignment; one that picks it anyway (round
  // robin) is asked again, which moves it on to the next node.
  constexpr std::int64_t kFull = std::int64_t{1} << 60;
  for (std::size_t n = 0; n < load_.size(); ++n) {
    if (!weight_permille_.empty()) load_[n] *= weight_permille_[n];
    if (down_[n]) load_[n] = kFull;
  }
  std::vector<Assigned> out;
  while (!pending_.empty() && pending_.front().arrival_ps <= now_ps) {
    const RequestSpec r = pending_.front();
    pending_.pop_front();
    std::int32_t node = assignment_.pick(r, load_);
    for (std::size_t tries = 1; down_[static_cast<std::size_t>(node)] && tries < load_.size();
         ++tries)
      node = assignment_.pick(r, load_);
    const auto u = static_cast<std::size_t>(node);
    load_[u] += weight_permille_.empty() ? 1 : weight_permille_[u];
    out.push_back(Assigned{node, r});
  }
  return out;
}

void RequestPool::set_weights(std::vector<double> weight) {
  weight_permille_.clear();
  for (double w : weight) weight_permille_.push_back(std::llround(w * 1000.0));
}

void RequestPool::requeue(std::vector<RequestSpec> rs) {
  requeued_ += static_cast<std::int64_t>(rs.size());
  add(std::move(rs));
}

void RequestPool::drop(std::span<const RequestSpec> rs, sim_time_t now_ps) {
  for (std::size_t i = 0; i < rs.size(); ++i) add(arrivals_.on_finish(now_ps));
  dropped_ += static_cast<std::int64_t>(rs.size());
}

}  // namespace sievesim
