#include "config/faults.hpp"

#include <cmath>
#include <set>
#include <string>

namespace sievesim {
namespace {

sim_time_t seconds_ps(double s) {
  return static_cast<sim_time_t>(std::llround(s * 1e12));
}

// A per-listed-node list: as long as `nodes_key`'s list, or absent (every entry `fallback`).
std::vector<double> per_node(const Params& f, const std::string& key, std::size_t count,
                             double fallback, const std::string& nodes_key,
                             const std::string& desc) {
  std::vector<double> v = f.number_list(key, {}, desc);
  if (v.empty()) return std::vector<double>(count, fallback);
  if (v.size() != count)
    f.fail(key, "expected one value per entry of `" + nodes_key + "` (" + std::to_string(count) +
                    "), got " + std::to_string(v.size()));
  return v;
}

std::vector<std::int32_t> node_list(const Params& f, const std::string& key, std::int64_t nodes,
                                    const std::string& desc) {
  std::vector<std::int32_t> out;
  std::set<std::int32_t> seen;
  for (double d : f.number_list(key, {}, desc)) {
    if (d != std::floor(d) || d < 0 || d >= static_cast<double>(nodes))
      f.fail(key, "node " + std::to_string(d) + " is not a node of the cluster (0.." +
                      std::to_string(nodes - 1) + ")");
    const auto n = static_cast<std::int32_t>(d);
    if (!seen.insert(n).second) f.fail(key, "node " + std::to_string(n) + " is listed twice");
    out.push_back(n);
  }
  return out;
}

void read_failures(const Params& f, std::int64_t nodes, FaultConfig& c) {
  const auto failing = node_list(f, "fail_nodes", nodes, "nodes that fail, e.g. [3]");
  const auto n = failing.size();
  const auto at_it = per_node(f, "fail_at_iteration", n, -1, "fail_nodes",
                              "per failing node: it fails at the boundary after this iteration");
  const auto at_s = per_node(f, "fail_at_s", n, -1, "fail_nodes",
                             "per failing node: it fails at the first boundary at or after this "
                             "simulated time, s (instead of fail_at_iteration)");
  const auto re_it = per_node(f, "rejoin_at_iteration", n, -1, "fail_nodes",
                              "per failing node: it rejoins at the boundary after this iteration "
                              "(-1: never)");
  const auto re_s = per_node(f, "rejoin_at_s", n, -1, "fail_nodes",
                             "per failing node: it rejoins at the first boundary at or after this "
                             "simulated time, s (-1: never)");
  for (std::size_t i = 0; i < n; ++i) {
    NodeFailure x;
    x.node = failing[i];
    x.at_iteration = static_cast<std::int64_t>(at_it[i]);
    x.rejoin_iteration = static_cast<std::int64_t>(re_it[i]);
    x.at_ps = at_s[i] < 0 ? -1 : seconds_ps(at_s[i]);
    x.rejoin_ps = re_s[i] < 0 ? -1 : seconds_ps(re_s[i]);
    if ((x.at_iteration < 0) == (x.at_ps < 0))
      f.fail("fail_at_iteration",
             "give each failing node exactly one of fail_at_iteration and "
             "fail_at_s (node " +
                 std::to_string(x.node) + ")");
    if (x.rejoin_iteration >= 0 && x.rejoin_ps >= 0)
      f.fail("rejoin_at_iteration",
             "give each node at most one of rejoin_at_iteration and "
             "rejoin_at_s (node " +
                 std::to_string(x.node) + ")");
    if ((x.rejoin_iteration >= 0 && x.at_iteration >= 0 && x.rejoin_iteration <= x.at_iteration) ||
        (x.rejoin_ps >= 0 && x.at_ps >= 0 && x.rejoin_ps <= x.at_ps))
      f.fail(x.rejoin_ps >= 0 ? "rejoin_at_s" : "rejoin_at_iteration",
             "node " + std::to_string(x.node) + " would rejoin before it fails");
    c.failures.push_back(x);
  }
  if (!c.failures.empty() && c.failures.size() >= static_cast<std::size_t>(nodes))
    f.fail("fail_nodes", "at least one node must survive");
}

void read_stragglers(const Params& f, std::int64_t nodes, FaultConfig& c) {
  const auto slow = node_list(f, "straggler_nodes", nodes, "nodes that run slow, e.g. [2]");
  const auto g = per_node(f, "gpu_slowdown", slow.size(), 1.0, "straggler_nodes",
                          "per straggler: factor its GPU kernel times are multiplied by");
  const auto p = per_node(f, "pim_slowdown", slow.size(), 1.0, "straggler_nodes",
                          "per straggler: factor its PIM times are multiplied by");
  for (double v : g)
    if (!(v > 0 && v <= 100)) f.fail("gpu_slowdown", "expected factors in (0, 100]");
  for (double v : p)
    if (!(v > 0 && v <= 100)) f.fail("pim_slowdown", "expected factors in (0, 100]");
  if (!slow.empty()) {
    c.gpu_slowdown.assign(static_cast<std::size_t>(nodes), 1.0);
    c.pim_slowdown.assign(static_cast<std::size_t>(nodes), 1.0);
    for (std::size_t i = 0; i < slow.size(); ++i) {
      c.gpu_slowdown[static_cast<std::size_t>(slow[i])] = g[i];
      c.pim_slowdown[static_cast<std::size_t>(slow[i])] = p[i];
    }
  }
  c.gpu_jitter_sigma = f.param<double>("gpu_jitter_sigma")
                           .min(0)
                           .max(2)
                           .desc(
                               "sigma of a lognormal factor on every node's GPU times, drawn "
                               "per (node, iteration); 0: none")
                           .dflt(0.0);
  c.pim_jitter_sigma =
      f.param<double>("pim_jitter_sigma").min(0).max(2).desc("the same for the PIM").dflt(0.0);
  c.speed_aware = f.param<bool>("speed_aware")
                      .desc(
                          "the schedulers, the sieve placement and the least-loaded "
                          "assignment know each node's slowdown (else: the nominal models)")
                      .dflt(false);
}

}  // namespace

FaultConfig read_faults(const Params& f, std::int64_t nodes) {
  FaultConfig c;
  c.enabled = true;
  read_failures(f, nodes, c);
  c.on_failure = f.param<std::string>("on_failure")
                             .one_of({"requeue", "drop"})
                             .desc(
                                 "a failed node's requests: requeue (restart on a survivor) or "
                                 "drop (counted)")
                             .dflt("requeue") == "drop"
                     ? LostRequests::kDrop
                     : LostRequests::kRequeue;
  c.replace_experts = f.param<bool>("replace_experts")
                          .desc(
                              "re-place experts whose last copy was lost on survivors with HBM "
                              "to spare; false: their tokens are dropped until the node rejoins")
                          .dflt(true);
  c.detection_ps = seconds_ps(f.param<double>("detection_s")
                                  .min(0)
                                  .max(3600)
                                  .desc("from the failure until the cluster notices, s")
                                  .dflt(0.0));
  c.recovery_pause_ps = seconds_ps(f.param<double>("recovery_pause_s")
                                       .min(0)
                                       .max(3600)
                                       .desc("the cluster stops serving while it recovers, s "
                                             "(EEP: ~11), weight moves excluded")
                                       .dflt(11.0));
  c.reintegration_pause_ps = seconds_ps(f.param<double>("reintegration_pause_s")
                                            .min(0)
                                            .max(3600)
                                            .desc("the cluster stops while a node rejoins, s "
                                                  "(EEP: ~8), weight moves excluded")
                                            .dflt(8.0));
  c.reload_Bps = f.param<double>("reload_GBps")
                     .above(0)
                     .max(1e4)
                     .desc(
                         "host-to-GPU bandwidth a lost expert's weights reload at when no "
                         "survivor holds them, GB/s (PCIe 5 x16: 64)")
                     .dflt(64.0) *
                 1e9;
  read_stragglers(f, nodes, c);
  return c;
}

}  // namespace sievesim
