#include "mpi/message_stream.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "base/error.hpp"

namespace sievesim {

std::vector<int> pack_messages(const Outbox& box, const RankMap& ranks,
                               std::vector<TokenRecord>& stream) {
  const auto nranks = static_cast<std::size_t>(ranks.ranks());
  // A stable counting sort of the messages by destination rank: units per rank, then positions.
  std::vector<std::size_t> at(nranks + 1, 0);
  std::int64_t recs = 0;
  for (std::size_t i = 0; i < box.heads.size(); ++i) {
    const MessageHeader& h = box.heads[i];
    if (i > 0) {
      const MessageHeader& p = box.heads[i - 1];
      if (p.src > h.src || (p.src == h.src && p.dst >= h.dst))
        throw SimulationError("node " + std::to_string(h.src) +
                              "'s outgoing messages are not in ascending destination order");
    }
    at[static_cast<std::size_t>(ranks.rank_of(h.dst)) + 1] +=
        kHeaderUnits + static_cast<std::size_t>(h.records);
    recs += h.records;
  }
  if (recs != static_cast<std::int64_t>(box.recs.size()))
    throw SimulationError("outgoing messages announce " + std::to_string(recs) + " records, " +
                          std::to_string(box.recs.size()) + " were written");
  std::vector<int> counts(nranks);
  for (std::size_t r = 0; r < nranks; ++r) counts[r] = static_cast<int>(at[r + 1]);
  const std::size_t base = stream.size();
  for (std::size_t r = 0; r < nranks; ++r) at[r + 1] += at[r];
  stream.resize(base + at[nranks]);
  std::size_t rec_at = 0;
  for (const MessageHeader& h : box.heads) {
    auto& pos = at[static_cast<std::size_t>(ranks.rank_of(h.dst))];
    std::memcpy(static_cast<void*>(stream.data() + base + pos), &h, sizeof h);
    std::copy_n(box.recs.begin() + static_cast<std::ptrdiff_t>(rec_at), h.records,
                stream.begin() + static_cast<std::ptrdiff_t>(base + pos + kHeaderUnits));
    pos += kHeaderUnits + static_cast<std::size_t>(h.records);
    rec_at += static_cast<std::size_t>(h.records);
  }
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
