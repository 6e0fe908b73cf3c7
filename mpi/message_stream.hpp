#pragma once
// Messages packed into the record stream the all-to-all carries, and unpacked on arrival.
// A stream is a sequence of [MessageHeader][TokenRecord x records]; the header occupies
// kHeaderUnits records. Packing groups the messages of a rank's nodes by destination rank;
// unpacking hands every local node its messages in ascending sender order, which is the order
// the nodes' phases process them in whatever the number of ranks.
#include <cstddef>
#include <span>
#include <vector>

#include "mpi/rank_map.hpp"
#include "mpi/token_record.hpp"

namespace sievesim {

// The messages one node sends in one phase, in ascending destination order: header i's
// records are the next heads[i].records entries of `recs`.
struct Outbox {
  std::vector<MessageHeader> heads;
  std::vector<TokenRecord> recs;
  void clear() {
    heads.clear();
    recs.clear();
  }
};

// A received message: its header and its records (a view into the received stream).
struct Message {
  MessageHeader head;
  std::span<const TokenRecord> recs;
};

// Appends the messages of `boxes` (the rank's nodes, in node order) to `stream`, grouped by
// destination rank, and returns the units sent to each rank (the all-to-all's counts).
std::vector<int> pack_messages(std::span<const Outbox> boxes, const RankMap& ranks,
                               std::vector<TokenRecord>& stream);

// Splits a received stream into messages for the nodes [first_node, first_node + local_nodes):
// `msgs` ends up ordered by (receiving node, sender) and `start[i]..start[i + 1]` are node i's.
// A stream that is cut short, or a message for a node of another rank, is a SimulationError.
void unpack_messages(std::span<const TokenRecord> stream, std::int64_t first_node,
                     std::size_t local_nodes, std::vector<Message>& msgs,
                     std::vector<std::size_t>& start);

}  // namespace sievesim
