// The record stream of the MoE all-to-all (mpi/message_stream.hpp) and the token-conservation
// check at the end of each MoE layer (engine/node.cpp), without MPI: packing for several ranks,
// unpacking each rank's share, malformed streams, and pairs lost, duplicated or altered on the
// way back.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <tuple>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "common/test_paths.hpp"
#include "engine/node.hpp"
#include "engine/op_costs.hpp"
#include "engine/ports.hpp"
#include "engine/system.hpp"
#include "mpi/message_stream.hpp"

namespace sievesim {
namespace {

// Random messages from `nodes` senders: each sends to a random subset of destinations, in
// ascending destination order, with records that name their (sender, destination).
std::vector<Outbox> random_boxes(std::int64_t nodes, std::uint64_t seed) {
  std::vector<Outbox> boxes(static_cast<std::size_t>(nodes));
  RandomStream rng(seed, 1, 2, 3);
  for (std::int32_t s = 0; s < nodes; ++s)
    for (std::int32_t d = 0; d < nodes; ++d) {
      if (rng.next_below(3) == 0) continue;
      MessageHeader h;
      h.src = s;
      h.dst = d;
      h.records = rng.next_below(40);  // empty messages too: a header alone is a message
      h.eg_start_ps = rng.next_u32();
      h.bytes = rng.next_u32();
      boxes[static_cast<std::size_t>(s)].heads.push_back(h);
      for (std::int64_t i = 0; i < h.records; ++i)
        boxes[static_cast<std::size_t>(s)].recs.push_back(
            TokenRecord{static_cast<std::int32_t>(i), s * 1000 + d});
    }
  return boxes;
}

// The outbox of a rank hosting `boxes`' nodes: their messages one node after the other.
Outbox merged(std::span<const Outbox> boxes) {
  Outbox all;
  for (const auto& b : boxes) {
    all.heads.insert(all.heads.end(), b.heads.begin(), b.heads.end());
    all.recs.insert(all.recs.end(), b.recs.begin(), b.recs.end());
  }
  return all;
}

TEST(MessageStream, EveryRankGetsItsNodesMessagesInSenderOrder) {
  for (const auto& [nodes, ranks] : {std::pair{8, 4}, std::pair{6, 3}, std::pair{4, 1}}) {
    const RankMap rm(nodes, ranks, nodes / ranks);
    const auto boxes = random_boxes(nodes, static_cast<std::uint64_t>(nodes * 10 + ranks));
    // What each rank would receive: the share every sending rank packs for it, in rank order.
    std::vector<std::vector<TokenRecord>> received(static_cast<std::size_t>(ranks));
    for (int src_rank = 0; src_rank < ranks; ++src_rank) {
      const auto first = static_cast<std::size_t>(rm.first_node(src_rank));
      std::span<const Outbox> mine(boxes.data() + first,
                                   static_cast<std::size_t>(rm.nodes_per_rank()));
      std::vector<TokenRecord> stream;
      const auto counts = pack_messages(merged(mine), rm, stream);
      ASSERT_EQ(counts.size(), static_cast<std::size_t>(ranks));
      std::size_t at = 0;
      for (int r = 0; r < ranks; ++r) {
        auto& to = received[static_cast<std::size_t>(r)];
        to.insert(to.end(), stream.begin() + static_cast<std::ptrdiff_t>(at),
                  stream.begin() + static_cast<std::ptrdiff_t>(at + counts[r]));
        at += static_cast<std::size_t>(counts[r]);
      }
      ASSERT_EQ(at, stream.size());
    }
    std::size_t messages = 0, records = 0;
    for (int r = 0; r < ranks; ++r) {
      std::vector<Message> msgs;
      std::vector<std::size_t> start;
      const auto local = static_cast<std::size_t>(rm.nodes_per_rank());
      unpack_messages(received[static_cast<std::size_t>(r)], rm.first_node(r), local, msgs, start);
      ASSERT_EQ(start.size(), local + 1);
      for (std::size_t i = 0; i < local; ++i) {
        const auto node = static_cast<std::int32_t>(rm.first_node(r) + static_cast<int>(i));
        // Exactly the messages addressed to this node, ascending sender, records intact.
        std::vector<std::int32_t> expect_src;
        for (const auto& b : boxes)
          for (const auto& h : b.heads)
            if (h.dst == node) expect_src.push_back(h.src);
        std::vector<std::int32_t> got_src;
        for (std::size_t m = start[i]; m < start[i + 1]; ++m) {
          const Message& msg = msgs[m];
          EXPECT_EQ(msg.head.dst, node);
          got_src.push_back(msg.head.src);
          ASSERT_EQ(static_cast<std::int64_t>(msg.recs.size()), msg.head.records);
          for (std::size_t k = 0; k < msg.recs.size(); ++k) {
            EXPECT_EQ(msg.recs[k].slot, static_cast<std::int32_t>(k));
            EXPECT_EQ(msg.recs[k].expert, msg.head.src * 1000 + node);
          }
          records += msg.recs.size();
        }
        EXPECT_EQ(got_src, expect_src) << "node " << node;
        messages += got_src.size();
      }
    }
    std::size_t sent_messages = 0, sent_records = 0;
    for (const auto& b : boxes) sent_messages += b.heads.size(), sent_records += b.recs.size();
    EXPECT_EQ(messages, sent_messages);
    EXPECT_EQ(records, sent_records);
  }
}

TEST(MessageStream, MalformedStreamsAreRejected) {
  const RankMap rm(2, 1, 2);
  auto boxes = random_boxes(2, 7);
  std::vector<TokenRecord> stream;
  pack_messages(merged(boxes), rm, stream);
  std::vector<Message> msgs;
  std::vector<std::size_t> start;
  ASSERT_NO_THROW(unpack_messages(stream, 0, 2, msgs, start));
  // Cut inside a header, and inside the last message's records.
  std::vector<TokenRecord> cut(stream.begin(), stream.begin() + 3);
  EXPECT_THROW(unpack_messages(cut, 0, 2, msgs, start), SimulationError);
  MessageHeader h;
  h.src = 0, h.dst = 1, h.records = 5;
  std::vector<TokenRecord> short_stream(kHeaderUnits + 4);
  std::memcpy(static_cast<void*>(short_stream.data()), &h, sizeof h);
  EXPECT_THROW(unpack_messages(short_stream, 0, 2, msgs, start), SimulationError);
  // A message for a node this rank does not host.
  EXPECT_THROW(unpack_messages(stream, 1, 1, msgs, start), SimulationError);
  // The same sender twice for one node.
  std::vector<TokenRecord> twice(2 * kHeaderUnits);
  h.records = 0;
  std::memcpy(static_cast<void*>(twice.data()), &h, sizeof h);
  std::memcpy(static_cast<void*>(twice.data() + kHeaderUnits), &h, sizeof h);
  EXPECT_THROW(unpack_messages(twice, 0, 2, msgs, start), SimulationError);
  // An outbox not in destination order cannot be packed.
  Outbox bad;
  bad.heads.resize(2);
  bad.heads[0].dst = 1;
  bad.heads[1].dst = 0;
  std::vector<TokenRecord> out;
  EXPECT_THROW(pack_messages(bad, rm, out), SimulationError);
  // Records announced and written must agree.
  Outbox lying;
  lying.heads.resize(1);
  lying.heads[0].records = 3;
  lying.recs.resize(2);
  EXPECT_THROW(pack_messages(lying, rm, out), SimulationError);
}

// The quickstart model on one node, 16 requests in its first iteration, at its first MoE layer.
struct OneNode {
  std::unique_ptr<System> sys;
  DispatchScratch scratch;
  EngineContext ctx;
  Node node;
  std::int64_t layer = 0;
  explicit OneNode(std::vector<std::string> more = {})
      : sys(System::assemble(test::quickstart(), with(std::move(more)))),
        ctx{*sys, sys->expert_map, &scratch},
        node(0, *sys, sys->take_scheduler(0)) {
    for (std::int64_t r = 0; r < 16; ++r) node.enqueue(RequestSpec{r, 0, 128, 4});
    node.begin_iteration(0);
    while (!sys->model.layers[static_cast<std::size_t>(layer)].moe) ++layer;
  }
  static std::vector<std::string> with(std::vector<std::string> more) {
    more.insert(more.begin(), {"system.nodes=1", "system.gpus_per_server=1"});
    return more;
  }
};

// One node on its own: it dispatches to itself, runs its experts and gets the combine back;
// `tamper` changes the combine messages on the way.
template <class Tamper>
void one_node_layer(Tamper tamper) {
  OneNode one;
  System& x = *one.sys;
  const EngineContext& ctx = one.ctx;
  Node& node = one.node;
  const std::int64_t layer = one.layer;
  Outbox out, back;
  node.attend(ctx, layer, 0);
  node.dispatch(ctx, layer, 0, out);
  ASSERT_EQ(out.heads.size(), 1u);
  ASSERT_EQ(static_cast<std::int64_t>(out.recs.size()), 16 * x.model.top_k);
  const Message to_experts{out.heads[0], out.recs};
  node.run_experts(ctx, layer, 0, std::span<const Message>(&to_experts, 1), back);
  ASSERT_EQ(back.heads.size(), 1u);
  tamper(back.recs);
  back.heads[0].records = static_cast<std::int64_t>(back.recs.size());
  const Message home{back.heads[0], back.recs};
  node.combine(ctx, layer, 0, std::span<const Message>(&home, 1));
}

TEST(TokenConservation, TheCombineChecksEveryPair) {
  EXPECT_NO_THROW(one_node_layer([](std::vector<TokenRecord>&) {}));
  // Order does not matter: the check is per pair, not per position.
  EXPECT_NO_THROW(
      one_node_layer([](std::vector<TokenRecord>& r) { std::reverse(r.begin(), r.end()); }));
  auto message_of = [](auto tamper) {
    try {
      one_node_layer(tamper);
    } catch (const SimulationError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message_of([](std::vector<TokenRecord>& r) { r.pop_back(); }).find("never came back"),
            std::string::npos);
  EXPECT_NE(message_of([](std::vector<TokenRecord>& r) {
              r.push_back(r.front());
            }).find("more (token, expert) pairs came back"),
            std::string::npos);
  // One pair duplicated in place of another, and one pair's expert changed: counts match, the
  // pairs do not.
  EXPECT_NE(message_of([](std::vector<TokenRecord>& r) { r[1] = r[0]; }).find("not the ones"),
            std::string::npos);
  EXPECT_NE(message_of([](std::vector<TokenRecord>& r) { r[5].expert ^= 1; }).find("not the ones"),
            std::string::npos);
  EXPECT_NE(
      message_of([](std::vector<TokenRecord>& r) { r[2].slot = 1 << 20; }).find("does not own"),
      std::string::npos);
}

// Two micro-batches of one node: each dispatches its own requests' tokens and its combine
// accepts exactly its own pairs back, even when the other micro-batch's pairs are as many.
std::string two_micro_batches(bool swap) {
  OneNode one({"system.micro_batches=2"});
  System& x = *one.sys;
  const EngineContext& ctx = one.ctx;
  Node& node = one.node;
  const std::int64_t layer = one.layer;
  Outbox out[2], back[2];
  for (std::int64_t m = 0; m < 2; ++m) {
    node.attend(ctx, layer, m);
    node.dispatch(ctx, layer, m, out[m]);
    EXPECT_EQ(static_cast<std::int64_t>(out[m].recs.size()), 8 * x.model.top_k);
    // Micro-batch 0 holds the first eight requests' tokens (slots 0..7), 1 the rest.
    for (const auto& r : out[m].recs) EXPECT_EQ(r.slot / 8, m);
  }
  for (std::int64_t m = 0; m < 2; ++m) {
    const Message to_experts{out[m].heads[0], out[m].recs};
    node.run_experts(ctx, layer, m, std::span<const Message>(&to_experts, 1), back[m]);
  }
  if (swap) std::swap(back[0].recs[3], back[1].recs[3]);
  try {
    for (std::int64_t m = 0; m < 2; ++m) {
      const Message home{back[m].heads[0], back[m].recs};
      node.combine(ctx, layer, m, std::span<const Message>(&home, 1));
    }
  } catch (const SimulationError& e) {
    return e.what();
  }
  return "no error";
}

TEST(TokenConservation, EachMicroBatchGetsExactlyItsOwnPairsBack) {
  EXPECT_EQ(two_micro_batches(false), "no error");
  EXPECT_NE(two_micro_batches(true).find("micro-batch does not own"), std::string::npos);
}

}  // namespace
}  // namespace sievesim
