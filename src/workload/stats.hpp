#pragma once
// Token-to-expert statistics of a routing source: how bimodal the expert loads of a batch are
// (the quantity the GPU/PIM split feeds on), for `sievesim workload-stats` and the tests.
#include <cstdint>
#include <span>
#include <vector>

#include "model/model.hpp"
#include "workload/routing.hpp"

namespace sievesim {

struct RoutingStats {
  std::int64_t layer = -1;                         // model layer (-1: all MoE layers together)
  std::int64_t batch = 0;                          // tokens per batch
  std::int64_t batches = 0;                        // batches averaged over
  double active_experts = 0;                       // mean experts with at least one token
  double max_tokens = 0;                           // mean of the batch's largest expert load
  double mean_tokens = 0;                          // mean tokens per active expert
  double share_1 = 0, share_2 = 0, share_le4 = 0;  // of active experts: 1, 2, <= 4 tokens (pooled)
  double idle = 0;                                 // share of experts with no token (pooled)
};

// Routes `batches` batches of `batch` tokens per MoE layer: batch b holds requests 0..batch-1,
// request r at position first_positions[r] + b (0 + b where first_positions is shorter), i.e.
// `batches` consecutive decode steps of the same requests. Returns one row per MoE layer and a
// last row for all.
std::vector<RoutingStats> routing_stats(const RoutingSource& src, const ModelSpec& m,
                                        std::int64_t batch, std::int64_t batches,
                                        std::span<const std::uint32_t> first_positions = {});

}  // namespace sievesim
