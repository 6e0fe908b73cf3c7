#pragma once
// The record exchanged in every MoE dispatch and combine: one (token, expert) pair plus the
// timing of the message that carries it. Timing travels with the data, so the exchange is also
// the time synchronization between nodes (no other per-layer collective).
#include <cstdint>
#include <type_traits>

#include "common/time.hpp"

namespace sievesim {

struct TokenRecord {
  sim_time_t route_ps = 0;       // when the home node's router finished (expert counts known)
  sim_time_t eg_start_ps = 0;    // the carrying message starts leaving the sender
  sim_time_t eg_end_ps = 0;      // its last byte has left the sender
  std::int64_t msg_bytes = 0;    // bytes of the whole carrying message
  std::uint64_t request = 0;     // global request id
  std::int32_t home_node = 0;    // the token's node (owns its request and KV cache)
  std::int32_t expert_node = 0;  // the node that runs the expert
  std::int32_t slot = 0;         // the token's index in its home node's batch
  std::int32_t expert = 0;       // logical expert id
  float gate = 0;                // router weight
  std::int32_t reserved = 0;     // keeps the layout free of padding holes
};
static_assert(std::is_trivially_copyable_v<TokenRecord>);
static_assert(sizeof(TokenRecord) == 64);

}  // namespace sievesim
