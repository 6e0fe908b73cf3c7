#include "engine/coordinator.hpp"

#include <algorithm>
#include <numeric>

#include "base/error.hpp"

namespace sievesim {
namespace {

std::int64_t imbalance_permille(const std::vector<double>& loads) {
  const double total = std::accumulate(loads.begin(), loads.end(), 0.0);
  if (total <= 0) return 1000;
  const double mean = total / static_cast<double>(loads.size());
  return static_cast<std::int64_t>(*std::max_element(loads.begin(), loads.end()) / mean * 1000.0 +
                                   0.5);
}

}  // namespace

Coordinator::Coordinator(const System& sys)
    : sys_(sys),
      topo_(*sys.topology),
      window_(static_cast<std::size_t>(sys.model.num_layers * sys.model.routed_experts), 0.0) {
  for (std::int32_t n = 0; n < sys.cfg.nodes; ++n) max_copies_.push_back(sys.expert_slots(n));
  PlacementRow initial;
  initial.imbalance_before_permille = initial.imbalance_after_permille = 1000;
  rows_.push_back(initial);
}

void Coordinator::count(std::int64_t layer, std::span<const TokenRecord> recs, bool counted) {
  double* row = window_.data() + layer * sys_.model.routed_experts;
  for (const auto& r : recs) row[r.expert] += counted ? r.slot : 1.0;
}

PlacementRow Coordinator::plan_migration(const ExpertMap& from, const ExpertMap& to,
                                         double reload_Bps) const {
  PlacementRow row;
  const double expert_bytes = sys_.model.expert.weight_bytes();
  const auto nodes = static_cast<std::size_t>(sys_.cfg.nodes);
  // Per node, time its ingress and egress ports are busy with weights.
  std::vector<sim_time_t> in_ps(nodes, 0), out_ps(nodes, 0);
  sim_time_t latency = 0;
  for (std::int64_t l = 0; l < to.layers(); ++l) {
    if (!sys_.model.layers[static_cast<std::size_t>(l)].moe) continue;  // no experts to move
    for (std::int32_t e = 0; e < to.experts(); ++e) {
      const auto old_r = from.replicas(l, e);
      for (auto n : to.replicas(l, e)) {
        if (from.holds(l, e, n)) continue;
        ++row.replicas_added;
        row.bytes_moved += static_cast<std::int64_t>(expert_bytes);
        if (old_r.empty()) {
          if (reload_Bps <= 0) throw SimulationError("placement: an expert to move has no holder");
          in_ps[static_cast<std::size_t>(n)] += seconds_to_ps(expert_bytes / reload_Bps);
          continue;
        }
        // Copy from an old holder in the same server if there is one (faster fabric).
        std::int32_t src = old_r.front();
        for (auto o : old_r)
          if (topo_.fabric(o, n) == Fabric::kScaleUp) {
            src = o;
            break;
          }
        const FabricModel& f = topo_.model(topo_.fabric(src, n));
        const sim_time_t t = f.transfer_ps(expert_bytes);
        in_ps[static_cast<std::size_t>(n)] += t;
        out_ps[static_cast<std::size_t>(src)] += t;
        latency = std::max(latency, f.latency_ps());
      }
      for (auto o : old_r) row.replicas_removed += to.holds(l, e, o) ? 0 : 1;
    }
  }
  if (row.replicas_added > 0)
    row.migration_ps = std::max(*std::max_element(in_ps.begin(), in_ps.end()),
                                *std::max_element(out_ps.begin(), out_ps.end())) +
                       latency;
  return row;
}

std::optional<sim_time_t> Coordinator::step(std::int64_t iteration, sim_time_t now_ps,
                                            ExpertMap& current, MPI_Comm comm) {
  if (pending_ && now_ps >= pending_at_ps_) {
    current = std::move(*pending_);  // background moves have arrived
    pending_.reset();
  }
  const auto every = sys_.cfg.rebalance.every_iterations;
  if (every == 0 || (iteration + 1) % every != 0 || pending_) return std::nullopt;
  MPI_Allreduce(MPI_IN_PLACE, window_.data(), static_cast<int>(window_.size()), MPI_DOUBLE, MPI_SUM,
                comm);
  const PlacementContext ctx{
      sys_.model,         sys_.cfg.nodes, sys_.cfg.gpus_per_server, sys_.cfg.workload.seed,
      sys_.routing.get(), sys_.gpu.get(), sys_.pim.get(),           every};
  PlacementContext told = ctx;
  if (sys_.cfg.faults.speed_aware) {
    told.gpu_slowdown = sys_.cfg.faults.gpu_slowdown;
    told.pim_slowdown = sys_.cfg.faults.pim_slowdown;
  }
  std::optional<ExpertMap> next = sys_.placement->rebalance(told, current, window_);
  std::optional<sim_time_t> stall;
  if (next) {
    next->check();
    // A plan must not take HBM the KV cache was promised: no node may hold more expert copies
    // than the slots set aside for it.
    bool fits = true;
    for (std::int32_t n = 0; n < sys_.cfg.nodes && fits; ++n)
      fits = expert_copies(*next, sys_.model, n) <= max_copies_[static_cast<std::size_t>(n)];
    if (!fits)
      throw SimulationError("placement policy '" + sys_.placement_name +
                            "' proposed more expert weights than a node has room for");
    PlacementRow row = plan_migration(current, *next);
    row.rebalance = static_cast<std::int64_t>(rows_.size());
    row.iteration = iteration;
    row.decided_ps = now_ps;
    row.window_tokens =
        static_cast<std::int64_t>(std::accumulate(window_.begin(), window_.end(), 0.0));
    row.imbalance_before_permille = imbalance_permille(node_loads(current, window_));
    row.imbalance_after_permille = imbalance_permille(node_loads(*next, window_));
    if (sys_.cfg.rebalance.background) {
      row.migration_ps = static_cast<sim_time_t>(static_cast<double>(row.migration_ps) /
                                                 sys_.cfg.rebalance.background_share);
      row.active_ps = now_ps + row.migration_ps;
      if (row.replicas_added == 0) {
        current = std::move(*next);
      } else {
        pending_ = std::move(next);
        pending_at_ps_ = row.active_ps;
      }
    } else {
      row.active_ps = now_ps + row.migration_ps;
      current = std::move(*next);
      if (row.migration_ps > 0) stall = row.active_ps;
    }
    rows_.push_back(row);
  }
  std::fill(window_.begin(), window_.end(), 0.0);
  return stall;
}

}  // namespace sievesim
