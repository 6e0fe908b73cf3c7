#pragma once
// What the MoE all-to-all carries. A phase (dispatch or combine) sends one message per pair of
// nodes that has tokens to exchange: a MessageHeader with the message's timing and size, then one
// TokenRecord per (token, expert) pair. Timing travels with the data, so the exchange is also the
// time synchronization between nodes (no other per-layer collective). The sender and receiver of
// every record are the message's, so a record is only the pair itself: 8 bytes instead of the 64
// a self-describing record took, which is what the exchange, the sorts and the copies move.
#include <cstdint>
#include <span>
#include <type_traits>

#include "base/time.hpp"

namespace sievesim {

// The count engine (`system.engine: counts`) sends one record per (sender, expert) instead, with
// `slot` holding how many of the sender's tokens the record stands for.
struct TokenRecord {
  std::int32_t slot = 0;    // the token's index in its home node's batch (count engine: tokens)
  std::int32_t expert = 0;  // logical expert id
};
static_assert(std::is_trivially_copyable_v<TokenRecord>);
static_assert(sizeof(TokenRecord) == 8);

// The (token, expert) pairs a run of the count engine's records stands for.
inline std::int64_t record_tokens(std::span<const TokenRecord> recs) {
  std::int64_t n = 0;
  for (const auto& r : recs) n += r.slot;
  return n;
}

struct MessageHeader {
  sim_time_t route_ps = 0;     // dispatch: when the sender's router finished (counts known)
  sim_time_t eg_start_ps = 0;  // the message starts leaving the sender
  sim_time_t eg_end_ps = 0;    // its last byte has left the sender
  std::int64_t bytes = 0;      // simulated bytes of the message (tokens x hidden size)
  std::int64_t records = 0;    // TokenRecords that follow the header
  std::int32_t src = 0;        // sending node
  std::int32_t dst = 0;        // receiving node
};
static_assert(std::is_trivially_copyable_v<MessageHeader>);
// A header travels as this many records' worth of bytes in the record stream.
inline constexpr std::size_t kHeaderUnits = sizeof(MessageHeader) / sizeof(TokenRecord);
static_assert(sizeof(MessageHeader) == kHeaderUnits * sizeof(TokenRecord));

}  // namespace sievesim
