// The token all-to-all: every message reaches exactly the node it was addressed to, in sender
// order, and sending every message back returns each record exactly once.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <tuple>

#include "base/rng.hpp"
#include "mpi/message_stream.hpp"
#include "mpi/rank_map.hpp"
#include "mpi/token_exchange.hpp"

namespace sievesim {
namespace {

// The messages of one source node as every rank can regenerate them: random destinations
// (ascending), random sizes, records that name their sender and a per-message serial.
Outbox messages_of(std::int32_t node, std::int64_t nodes, std::uint64_t seed) {
  RandomStream rng(seed, static_cast<std::uint32_t>(node), 0, 0);
  Outbox box;
  for (std::int32_t d = 0; d < nodes; ++d) {
    if (rng.next_below(4) == 0) continue;
    MessageHeader h;
    h.src = node;
    h.dst = d;
    h.records = rng.next_below(300);
    h.eg_start_ps = static_cast<sim_time_t>(rng.next_u32());
    h.bytes = rng.next_u32();
    box.heads.push_back(h);
    for (std::int64_t i = 0; i < h.records; ++i)
      box.recs.push_back(TokenRecord{static_cast<std::int32_t>(i), node * 100000 + d});
  }
  return box;
}

auto key(const Message& m) {
  return std::make_tuple(m.head.src, m.head.dst, m.head.records, m.head.eg_start_ps, m.head.bytes);
}

TEST(TokenExchange, RandomMessagesReachTheirNodeAndComeBackOnce) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  for (std::int64_t per_rank : {1, 3}) {
    const std::int64_t nodes = per_rank * size;
    const RankMap rm(nodes, size, per_rank);
    const std::int64_t first = rm.first_node(rank);
    for (std::uint64_t seed : {1ull, 2ull, 3ull}) {
      // The rank's outbox holds its nodes' messages one node after the other.
      std::vector<Outbox> boxes;
      Outbox box;
      for (std::int64_t n = first; n < first + per_rank; ++n) {
        boxes.push_back(messages_of(static_cast<std::int32_t>(n), nodes, seed));
        box.heads.insert(box.heads.end(), boxes.back().heads.begin(), boxes.back().heads.end());
        box.recs.insert(box.recs.end(), boxes.back().recs.begin(), boxes.back().recs.end());
      }
      TokenExchange ex(MPI_COMM_WORLD);
      std::vector<TokenRecord> stream, in;
      auto counts = pack_messages(box, rm, stream);
      ex.exchange(stream, counts, in);
      std::vector<Message> msgs;
      std::vector<std::size_t> start;
      unpack_messages(in, first, static_cast<std::size_t>(per_rank), msgs, start);

      // Expected per local node: every node's message to it, in ascending sender order.
      std::vector<Outbox> all;
      for (std::int64_t n = 0; n < nodes; ++n)
        all.push_back(messages_of(static_cast<std::int32_t>(n), nodes, seed));
      for (std::size_t i = 0; i < static_cast<std::size_t>(per_rank); ++i) {
        std::vector<Message> expect;
        for (const auto& b : all) {
          std::size_t at = 0;
          for (const auto& h : b.heads) {
            if (h.dst == first + static_cast<std::int64_t>(i))
              expect.push_back(
                  Message{h, std::span<const TokenRecord>(b.recs.data() + at,
                                                          static_cast<std::size_t>(h.records))});
            at += static_cast<std::size_t>(h.records);
          }
        }
        ASSERT_EQ(start[i + 1] - start[i], expect.size());
        for (std::size_t m = 0; m < expect.size(); ++m) {
          const Message& got = msgs[start[i] + m];
          ASSERT_EQ(key(got), key(expect[m]));
          ASSERT_TRUE(std::equal(got.recs.begin(), got.recs.end(), expect[m].recs.begin(),
                                 [](const TokenRecord& a, const TokenRecord& b) {
                                   return a.slot == b.slot && a.expert == b.expert;
                                 }));
        }
      }

      // Send every message back to its sender: the round trip returns this rank's own messages.
      Outbox back;
      for (std::size_t i = 0; i < static_cast<std::size_t>(per_rank); ++i)
        for (std::size_t m = start[i]; m < start[i + 1]; ++m) {  // ascending sender = destination
          MessageHeader h = msgs[m].head;
          std::swap(h.src, h.dst);
          back.heads.push_back(h);
          back.recs.insert(back.recs.end(), msgs[m].recs.begin(), msgs[m].recs.end());
        }
      stream.clear();
      counts = pack_messages(back, rm, stream);
      ex.exchange(stream, counts, in);
      unpack_messages(in, first, static_cast<std::size_t>(per_rank), msgs, start);
      for (std::size_t i = 0; i < static_cast<std::size_t>(per_rank); ++i) {
        const Outbox& mine = boxes[i];
        ASSERT_EQ(start[i + 1] - start[i], mine.heads.size());
        std::size_t recs = 0;
        for (std::size_t m = start[i]; m < start[i + 1]; ++m) {
          const auto& h = mine.heads[m - start[i]];  // the k-th destination answers k-th
          EXPECT_EQ(msgs[m].head.src, h.dst);
          EXPECT_EQ(msgs[m].head.records, h.records);
          for (std::size_t k = 0; k < msgs[m].recs.size(); ++k)
            ASSERT_EQ(msgs[m].recs[k].expert, mine.recs[recs + k].expert);
          recs += msgs[m].recs.size();
        }
        EXPECT_EQ(recs, mine.recs.size());
      }
      EXPECT_EQ(ex.calls(), 2u);
    }
  }
}

TEST(RankMap, ValidatesLayouts) {
  std::int64_t npr = 0;
  EXPECT_TRUE(RankMap::validate(8, 4, npr).empty());
  EXPECT_EQ(npr, 2);
  npr = 0;
  EXPECT_FALSE(RankMap::validate(4, 3, npr).empty());
  npr = 3;
  EXPECT_FALSE(RankMap::validate(4, 1, npr).empty());
  const RankMap rm(8, 4, 2);
  EXPECT_EQ(rm.rank_of(5), 2);
  EXPECT_EQ(rm.first_node(3), 6);
}

}  // namespace
}  // namespace sievesim
