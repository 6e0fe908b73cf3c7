#include "place/eplb.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

namespace sievesim {
namespace {

// Items in descending weight (ties: lower index first) go to the lightest pack that still has
// room (ties: lower pack index). Returns pack index and rank inside the pack per item.
void balanced_packing(const std::vector<double>& w, std::int64_t packs,
                      std::vector<std::int64_t>& pack, std::vector<std::int64_t>& rank) {
  const auto n = static_cast<std::int64_t>(w.size());
  const std::int64_t per_pack = n / packs;
  pack.assign(static_cast<std::size_t>(n), 0);
  rank.assign(static_cast<std::size_t>(n), 0);
  if (per_pack == 1) {
    std::iota(pack.begin(), pack.end(), 0);
    return;
  }
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return w[a] > w[b]; });
  std::vector<double> load(static_cast<std::size_t>(packs), 0.0);
  std::vector<std::int64_t> items(static_cast<std::size_t>(packs), 0);
  for (auto g : order) {
    std::int64_t best = -1;
    for (std::int64_t p = 0; p < packs; ++p)
      if (items[p] < per_pack && (best < 0 || load[p] < load[best])) best = p;
    pack[g] = best;
    rank[g] = items[best]++;
    load[best] += w[g];
  }
}

// One replica per logical expert, then each extra slot to the expert with the largest load per
// replica (ties: lower index).
void replicate(const std::vector<double>& w, std::int64_t slots, std::vector<std::int64_t>& phy2log,
               std::vector<std::int64_t>& phyrank, std::vector<std::int64_t>& cnt) {
  const auto n = static_cast<std::int64_t>(w.size());
  phy2log.resize(static_cast<std::size_t>(slots));
  phyrank.assign(static_cast<std::size_t>(slots), 0);
  cnt.assign(static_cast<std::size_t>(n), 1);
  std::iota(phy2log.begin(), phy2log.begin() + n, 0);
  for (std::int64_t i = n; i < slots; ++i) {
    std::int64_t best = 0;
    for (std::int64_t e = 1; e < n; ++e)
      if (w[e] / static_cast<double>(cnt[e]) > w[best] / static_cast<double>(cnt[best])) best = e;
    phy2log[i] = best;
    phyrank[i] = cnt[best]++;
  }
}

// One layer, hierarchical form (the global policy is the case of one group and one node).
void layer_hierarchical(const double* weight, std::int64_t E, std::int64_t R, std::int64_t groups,
                        std::int64_t nodes, std::int64_t gpus, std::int32_t* phy2log_out,
                        std::vector<std::int64_t>& phyrank_out,
                        std::vector<std::int64_t>& logcnt_out) {
  const std::int64_t group_size = E / groups, groups_per_node = groups / nodes;
  const std::int64_t per_gpu = R / gpus;
  // 1. Pack expert groups onto nodes by their summed load.
  std::vector<double> group_load(static_cast<std::size_t>(groups), 0.0);
  for (std::int64_t e = 0; e < E; ++e) group_load[e / group_size] += weight[e];
  std::vector<std::int64_t> gpack, grank;
  balanced_packing(group_load, nodes, gpack, grank);
  // log2mlog: logical expert -> "node-major" logical index.
  std::vector<std::int64_t> log2mlog(static_cast<std::size_t>(E)),
      mlog2log(static_cast<std::size_t>(E));
  for (std::int64_t e = 0; e < E; ++e) {
    const std::int64_t g = e / group_size;
    log2mlog[e] = (gpack[g] * groups_per_node + grank[g]) * group_size + e % group_size;
    mlog2log[log2mlog[e]] = e;
  }
  // 2. Within each node, replicate its experts into R / nodes slots.
  const std::int64_t per_node_log = E / nodes, per_node_phy = R / nodes;
  std::vector<std::int64_t> phy2mlog(static_cast<std::size_t>(R)),
      phyrank(static_cast<std::size_t>(R)), mlogcnt(static_cast<std::size_t>(E));
  for (std::int64_t nd = 0; nd < nodes; ++nd) {
    std::vector<double> w(static_cast<std::size_t>(per_node_log));
    for (std::int64_t j = 0; j < per_node_log; ++j) w[j] = weight[mlog2log[nd * per_node_log + j]];
    std::vector<std::int64_t> p2l, rk, cnt;
    replicate(w, per_node_phy, p2l, rk, cnt);
    // 3. Pack the node's replicas (load / copies) onto its GPUs.
    std::vector<double> phy_load(static_cast<std::size_t>(per_node_phy));
    for (std::int64_t s = 0; s < per_node_phy; ++s)
      phy_load[s] = w[p2l[s]] / static_cast<double>(cnt[p2l[s]]);
    std::vector<std::int64_t> pack, rank;
    balanced_packing(phy_load, gpus / nodes, pack, rank);
    for (std::int64_t s = 0; s < per_node_phy; ++s) {
      const std::int64_t pphy = nd * per_node_phy + pack[s] * per_gpu + rank[s];
      phy2mlog[pphy] = nd * per_node_log + p2l[s];
      phyrank[pphy] = rk[s];
    }
    for (std::int64_t j = 0; j < per_node_log; ++j) mlogcnt[nd * per_node_log + j] = cnt[j];
  }
  phyrank_out = phyrank;
  logcnt_out.assign(static_cast<std::size_t>(E), 0);
  for (std::int64_t s = 0; s < R; ++s)
    phy2log_out[s] = static_cast<std::int32_t>(mlog2log[phy2mlog[s]]);
  for (std::int64_t e = 0; e < E; ++e) logcnt_out[e] = mlogcnt[log2mlog[e]];
}

}  // namespace

EplbResult rebalance_experts(const std::vector<double>& weight, std::int64_t layers,
                             std::int64_t num_replicas, std::int64_t num_groups,
                             std::int64_t num_nodes, std::int64_t num_gpus) {
  if (layers < 1 || weight.size() % static_cast<std::size_t>(layers) != 0)
    throw std::invalid_argument("eplb: weight is not [layers x experts]");
  const auto E = static_cast<std::int64_t>(weight.size()) / layers;
  if (num_replicas < E || num_gpus < 1 || num_replicas % num_gpus != 0 || num_nodes < 1 ||
      num_gpus % num_nodes != 0 || num_groups < 1 || E % num_groups != 0)
    throw std::invalid_argument(
        "eplb: need R >= E, R % gpus == 0, gpus % nodes == 0, E % groups == 0");
  const bool hierarchical = num_groups % num_nodes == 0;
  EplbResult r;
  r.layers = layers;
  r.logical = E;
  r.physical = num_replicas;
  r.max_copies = num_replicas - E + 1;
  r.phy2log.resize(static_cast<std::size_t>(layers * num_replicas));
  r.logcnt.resize(static_cast<std::size_t>(layers * E));
  r.log2phy.assign(static_cast<std::size_t>(layers * E * r.max_copies), -1);
  for (std::int64_t l = 0; l < layers; ++l) {
    std::vector<std::int64_t> phyrank, logcnt;
    layer_hierarchical(weight.data() + l * E, E, num_replicas, hierarchical ? num_groups : 1,
                       hierarchical ? num_nodes : 1, num_gpus, r.phy2log.data() + l * num_replicas,
                       phyrank, logcnt);
    for (std::int64_t e = 0; e < E; ++e)
      r.logcnt[static_cast<std::size_t>(l * E + e)] = static_cast<std::int32_t>(logcnt[e]);
    for (std::int64_t s = 0; s < num_replicas; ++s) {
      const auto e = r.phy2log[static_cast<std::size_t>(l * num_replicas + s)];
      r.log2phy[static_cast<std::size_t>((l * E + e) * r.max_copies + phyrank[s])] =
          static_cast<std::int32_t>(s);
    }
  }
  return r;
}

}  // namespace sievesim
