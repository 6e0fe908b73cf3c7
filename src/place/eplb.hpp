#pragma once
// DeepSeek's expert-parallel load balancer (github deepseek-ai/EPLB; reference/eplb.md), with the
// same inputs and the same phy2log / log2phy / logcnt outputs so results compare one to one.
#include <cstdint>
#include <vector>

namespace sievesim {

struct EplbResult {
  std::int64_t layers = 0, logical = 0, physical = 0, max_copies = 0;
  std::vector<std::int32_t> phy2log;  // [layer][physical slot]: slot = gpu * (R / P) + local
  std::vector<std::int32_t> log2phy;  // [layer][logical][copy], -1 padded
  std::vector<std::int32_t> logcnt;   // [layer][logical] replicas (>= 1)
};

// `weight` is [layers x logical experts] (row-major), the estimated load of each expert.
// Hierarchical when `num_nodes` divides `num_groups`, global otherwise. Requirements (checked,
// std::invalid_argument): R >= E, R a multiple of num_gpus, num_gpus a multiple of num_nodes,
// E a multiple of num_groups.
EplbResult rebalance_experts(const std::vector<double>& weight, std::int64_t layers,
                             std::int64_t num_replicas, std::int64_t num_groups,
                             std::int64_t num_nodes, std::int64_t num_gpus);

}  // namespace sievesim
