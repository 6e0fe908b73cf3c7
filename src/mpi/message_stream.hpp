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

// The messages a rank's nodes send in one phase: node by node in ascending node order, each
// node's in ascending destination order. Header i's records are the next heads[i].records
// entries of `recs`. One outbox per rank, not per node: a node's share of a layer's records
// varies a lot (the node holding the hottest expert gets several times the mean), and per-node
// buffers would each keep the largest share they ever saw.
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

// Appends the messages of `box` to `stream`, grouped by destination rank (keeping their order
// within each), and returns the units sent to each rank (the all-to-all's counts). Messages out
// of (sender, destination) order are a SimulationError.
std::vector<int> pack_messages(const Outbox& box, const RankMap& ranks,
                               std::vector<TokenRecord>& stream);

// Splits a received stream into messages for the nodes [first_node, first_node + local_nodes):
// `msgs` ends up ordered by (receiving node, sender) and `start[i]..start[i + 1]` are node i's.
// A stream that is cut short, or a message for a node of another rank, is a SimulationError.
void unpack_messages(std::span<const TokenRecord> stream, std::int64_t first_node,
                     std::size_t local_nodes, std::vector<Message>& msgs,
                     std::vector<std::size_t>& start);

}  // namespace sievesim
