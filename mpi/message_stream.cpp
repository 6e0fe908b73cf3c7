#include "mpi/message_stream.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "common/error.hpp"

namespace sievesim {

std::vector<int> pack_messages(std::span<const Outbox> boxes, const RankMap& ranks,
                               std::vector<TokenRecord>& stream) {
  std::vector<int> counts(static_cast<std::size_t>(ranks.ranks()), 0);
  // Each box's messages are in ascending destination order and ranks hold ascending blocks of
  // nodes, so the messages of one box to one rank are consecutive: one cursor per box.
  std::vector<std::size_t> head_at(boxes.size(), 0), rec_at(boxes.size(), 0);
  for (int r = 0; r < ranks.ranks(); ++r) {
    const std::size_t before = stream.size();
    for (std::size_t b = 0; b < boxes.size(); ++b) {
      const Outbox& box = boxes[b];
      while (head_at[b] < box.heads.size() && ranks.rank_of(box.heads[head_at[b]].dst) == r) {
        const MessageHeader& h = box.heads[head_at[b]++];
        if (head_at[b] > 1 && box.heads[head_at[b] - 2].dst >= h.dst)
          throw SimulationError("node " + std::to_string(h.src) +
                                "'s outgoing messages are not in ascending destination order");
        const std::size_t at = stream.size();
        stream.resize(at + kHeaderUnits + static_cast<std::size_t>(h.records));
        std::memcpy(static_cast<void*>(stream.data() + at), &h, sizeof h);
        std::copy_n(box.recs.begin() + static_cast<std::ptrdiff_t>(rec_at[b]), h.records,
                    stream.begin() + static_cast<std::ptrdiff_t>(at + kHeaderUnits));
        rec_at[b] += static_cast<std::size_t>(h.records);
      }
    }
    counts[static_cast<std::size_t>(r)] = static_cast<int>(stream.size() - before);
  }
  for (std::size_t b = 0; b < boxes.size(); ++b)
    if (head_at[b] != boxes[b].heads.size() || rec_at[b] != boxes[b].recs.size())
      throw SimulationError("a node's outgoing messages are not in destination order");
  return counts;
}

void unpack_messages(std::span<const TokenRecord> stream, std::int64_t first_node,
                     std::size_t local_nodes, std::vector<Message>& msgs,
                     std::vector<std::size_t>& start) {
  msgs.clear();
  std::size_t at = 0;
  while (at < stream.size()) {
    Message m;
    if (stream.size() - at < kHeaderUnits)
      throw SimulationError("received message stream ends inside a header");
    std::memcpy(static_cast<void*>(&m.head), stream.data() + at, sizeof m.head);
    at += kHeaderUnits;
    const auto n = m.head.records;
    if (n < 0 || static_cast<std::size_t>(n) > stream.size() - at)
      throw SimulationError("received message from node " + std::to_string(m.head.src) +
                            " announces more records than arrived");
    if (m.head.dst < first_node ||
        m.head.dst >= first_node + static_cast<std::int64_t>(local_nodes))
      throw SimulationError("received a message for node " + std::to_string(m.head.dst) +
                            ", which this rank does not host");
    m.recs = stream.subspan(at, static_cast<std::size_t>(n));
    at += static_cast<std::size_t>(n);
    msgs.push_back(m);
  }
  // Senders arrive in ascending order within each source rank and source ranks in ascending
  // order, so a stable sort by receiver leaves each receiver's messages by sender.
  std::stable_sort(msgs.begin(), msgs.end(),
                   [](const Message& a, const Message& b) { return a.head.dst < b.head.dst; });
  start.assign(local_nodes + 1, 0);
  for (const auto& m : msgs) ++start[static_cast<std::size_t>(m.head.dst - first_node) + 1];
  for (std::size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
  for (std::size_t i = 1; i < msgs.size(); ++i)
    if (msgs[i].head.dst == msgs[i - 1].head.dst && msgs[i].head.src <= msgs[i - 1].head.src)
      throw SimulationError("node " + std::to_string(msgs[i].head.dst) +
                            " received two messages from node " + std::to_string(msgs[i].head.src) +
                            " or out of sender order");
}

}  // namespace sievesim
