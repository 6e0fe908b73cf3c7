// GPT-OSS recordings as a request-level trace (version 2): importing the shipped 136 requests,
// the round trip through the file, replay token by token against the JSON read independently,
// and every malformed input named by file and token.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <unistd.h>

#include "base/error.hpp"
#include "base/params.hpp"
#include "base/rng.hpp"
#include "common/test_paths.hpp"
#include "common/toy_model.hpp"
#include "workload/requests.hpp"
#include "workload/routing.hpp"
#include "workload/trace.hpp"

namespace sievesim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string gpt_oss_dir() {
  return test::shared_dir() + "/traces/gpt-oss-20b";
}

const RoutingTrace& gpt_oss() {
  static const RoutingTrace t = import_gpt_oss(gpt_oss_dir(), 32);
  return t;
}

fs::path scratch(const std::string& sub) {
  const fs::path d =
      fs::temp_directory_path() / ("sievesim_gpt_oss_test_" + std::to_string(::getpid())) / sub;
  fs::create_directories(d);
  return d;
}

std::string gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  std::string text;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  return text;
}

void write_gz(const fs::path& p, const std::string& text) {
  gzFile f = gzopen(p.string().c_str(), "wb");
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
}

TEST(GptOssTrace, ImportHasTheDocumentedShape) {
  const RoutingTrace& t = gpt_oss();
  EXPECT_EQ(t.sequences, 136);
  EXPECT_EQ(t.tokens, 36913);
  EXPECT_EQ(t.layers, 24);
  EXPECT_EQ(t.topk, 4);
  EXPECT_EQ(t.experts, 32);
  ASSERT_EQ(t.requests.size(), 136u);
  std::int64_t sum = 0;
  for (auto n : t.length) sum += n;
  EXPECT_EQ(sum, 36913);
  // max_new_tokens is 512 and the first generated token comes from the (unrecorded) prefill.
  EXPECT_EQ(t.positions, 511);
  // Inferring the expert count gives the same: every id 0..31 is used somewhere.
  EXPECT_LE(import_gpt_oss(gpt_oss_dir() + "/" + t.requests[0].source).experts, 32);
  // Sorted path order: the numbering does not depend on the file system.
  for (std::size_t i = 1; i < t.requests.size(); ++i)
    EXPECT_LT(t.requests[i - 1].source, t.requests[i].source);
  EXPECT_EQ(t.requests[0].row_index, 35001);
  EXPECT_EQ(t.requests[0].first_position, 101);
  EXPECT_EQ(detect_trace_format(gpt_oss_dir()), "gpt-oss");
  EXPECT_EQ(detect_trace_format(test::shared_dir() + "/traces/flame-moe-290m"), "flame");
}

TEST(GptOssTrace, WriteThenReadIsIdentity) {
  const RoutingTrace& t = gpt_oss();
  std::ostringstream text;
  write_trace(t, text);
  EXPECT_EQ(text.str().rfind("# sievesim-trace 2\n", 0), 0u);
  const fs::path p = scratch("roundtrip") / "gpt-oss.trace";
  std::ofstream(p) << text.str();
  const RoutingTrace back = read_trace(p.string());
  EXPECT_EQ(back.experts, t.experts);
  EXPECT_EQ(back.topk, t.topk);
  EXPECT_EQ(back.layers, t.layers);
  EXPECT_EQ(back.length, t.length);
  EXPECT_EQ(back.expert, t.expert);
  EXPECT_EQ(back.weight, t.weight);  // shortest exact form: bit for bit
  // The same through a gzip file.
  const fs::path gz = scratch("roundtrip") / "gpt-oss.trace.gz";
  write_trace_file(t, gz.string());
  EXPECT_EQ(gunzip(gz.string()), text.str());
  const RoutingTrace back_gz = read_trace(gz.string());
  EXPECT_EQ(back_gz.expert, t.expert);
  EXPECT_EQ(back_gz.weight, t.weight);
  ASSERT_EQ(back.requests.size(), t.requests.size());
  for (std::size_t i = 0; i < t.requests.size(); ++i) {
    EXPECT_EQ(back.requests[i].source, t.requests[i].source);
    EXPECT_EQ(back.requests[i].row_index, t.requests[i].row_index);
    EXPECT_EQ(back.requests[i].first_position, t.requests[i].first_position);
  }
}

// The trace written to a file and a routing source replaying it on a 24-layer model of
// `experts` experts, top-4.
std::unique_ptr<RoutingSource> replay(std::int64_t experts, const std::string& extra) {
  static const std::string path = [] {
    const fs::path p = scratch("replay") / "gpt-oss.trace";
    std::ofstream out(p);
    write_trace(gpt_oss(), out);
    return p.string();
  }();
  static ModelSpec m32 = test::toy_model(32, 4, 24);
  static ModelSpec m128 = test::toy_model(128, 4, 24);
  const Params p(YAML::Load("source: trace\ntrace: {path: " + path + extra + "}"), "t.yaml");
  return make_routing_source(p, RoutingContext{experts == 32 ? m32 : m128, 1, ""});
}

struct Routed {
  std::vector<std::int32_t> experts = std::vector<std::int32_t>(4);
  std::vector<float> gates = std::vector<float>(4);
};

Routed route(const RoutingSource& src, std::uint64_t request, std::uint32_t pos,
             std::uint32_t layer) {
  Routed r;
  src.route({request, pos, layer}, r.experts, r.gates);
  return r;
}

TEST(GptOssTrace, ReplayReturnsTheRecordedExpertsTokenByToken) {
  const auto src = replay(32, "");
  const RoutingTrace& t = gpt_oss();
  for (std::uint64_t r : {0ull, 57ull, 135ull}) {
    // The recording, parsed here without the importer.
    const json doc = json::parse(gunzip(gpt_oss_dir() + "/" + t.requests[r].source));
    const json& data = doc.at("router_data");
    ASSERT_EQ(static_cast<std::int64_t>(data.size()), t.length[r]);
    for (std::size_t p : {std::size_t{0}, data.size() / 2, data.size() - 1})
      for (std::uint32_t l : {0u, 11u, 23u}) {
        const json& rec = data[p].begin().value().at("layer_" + std::to_string(l));
        const auto want = rec.at("selected_experts").get<std::vector<std::int32_t>>();
        const auto probs = rec.at("selected_probs").get<std::vector<double>>();
        double sum = 0;
        for (double w : probs) sum += static_cast<float>(w);
        const Routed got = route(*src, r, static_cast<std::uint32_t>(p), l);
        EXPECT_EQ(got.experts, want) << "request " << r << " token " << p << " layer " << l;
        for (std::size_t j = 0; j < 4; ++j)
          EXPECT_NEAR(got.gates[j], static_cast<float>(probs[j]) / sum, 1e-6);
        // Past its end a request wraps with its own length; another pass starts where it is.
        const auto len = static_cast<std::uint32_t>(t.length[r]);
        EXPECT_EQ(route(*src, r, static_cast<std::uint32_t>(p) + len, l).experts, want);
        EXPECT_EQ(route(*src, r + 136, static_cast<std::uint32_t>(p), l).experts, want);
      }
  }
}

TEST(GptOssTrace, FirstPositionAndPassOffsetShiftTheReplay) {
  const RoutingTrace& t = gpt_oss();
  const auto plain = replay(32, "");
  const auto shifted = replay(32, ", first_position: 1000, pass_offset: 7");
  const auto len = static_cast<std::uint32_t>(t.length[5]);
  for (std::uint32_t p : {0u, 3u, len - 1}) {
    EXPECT_EQ(route(*shifted, 5, 1000 + p, 2).experts, route(*plain, 5, p, 2).experts);
    EXPECT_EQ(route(*shifted, 5 + 2 * 136, 1000 + p, 2).experts,
              route(*plain, 5, (p + 14) % len, 2).experts);
  }
}

// position_origin: recorded: request r at position (its recording's prompt length) + j replays
// recorded token j, whatever the prompt lengths of the recordings, on every pass.
TEST(GptOssTrace, RecordedOriginReplaysTokenJAtPromptPlusJ) {
  const RoutingTrace& t = gpt_oss();
  const auto plain = replay(32, "");
  const auto aligned = replay(32, ", position_origin: recorded");
  for (std::uint64_t r : {0ull, 40ull, 135ull}) {
    const auto prompt = static_cast<std::uint32_t>(t.requests[r].first_position);
    ASSERT_GT(prompt, 0u);
    for (std::uint32_t j : {0u, 1u, static_cast<std::uint32_t>(t.length[r] - 1)})
      for (std::uint32_t l : {0u, 23u}) {
        EXPECT_EQ(route(*aligned, r, prompt + j, l).experts, route(*plain, r, j, l).experts);
        EXPECT_EQ(route(*aligned, r + 136, prompt + j, l).experts, route(*plain, r, j, l).experts);
      }
  }
}

// The recorded lengths: request r gets recording r mod 136's prompt (the position of its first
// generated token, as the JSON names it) and output (its generated tokens); `scale` multiplies.
TEST(GptOssTrace, TraceLengthsAreTheRecordedOnes) {
  const RoutingTrace& t = gpt_oss();
  const fs::path p = scratch("lengths") / "gpt-oss.trace";
  {
    std::ofstream out(p);
    write_trace(t, out);
  }
  const auto dist = [&](const std::string& key, const std::string& extra) {
    const Params section(
        YAML::Load(key + ": {dist: trace, trace: {path: " + p.string() + extra + "}}"), "t.yaml");
    return make_length_distribution(
        section, key, 1,
        {key == "prompt" ? LengthContext::Part::kPrompt : LengthContext::Part::kOutput, ""});
  };
  const auto prompt = dist("prompt", ""), output = dist("output", ""),
             half = dist("output", ", scale: 0.5");
  RandomStream rng(1, 0, 0, 0);
  std::int64_t longest = 0;
  for (std::int64_t r : {0, 7, 135, 136 + 7, 5 * 136 + 135}) {
    const auto s = static_cast<std::size_t>(r % 136);
    const json doc = json::parse(gunzip(gpt_oss_dir() + "/" + t.requests[s].source));
    const json& data = doc.at("router_data");
    const std::string first = data[0].begin().key();  // "token_<prompt length>"
    EXPECT_EQ(prompt->of_request(r, rng), std::stoll(first.substr(6))) << r;
    EXPECT_EQ(output->of_request(r, rng), static_cast<std::int64_t>(data.size())) << r;
    EXPECT_EQ(half->of_request(r, rng),
              std::max<std::int64_t>(1, std::llround(static_cast<double>(data.size()) * 0.5)));
  }
  for (std::int64_t s = 0; s < 136; ++s) longest = std::max(longest, output->of_request(s, rng));
  EXPECT_EQ(output->max_tokens(), longest);
  EXPECT_EQ(longest, 511);
}

TEST(GptOssTrace, SpreadMapsOntoAModelWithMoreExperts) {
  const auto plain = replay(32, "");
  EXPECT_THROW(replay(128, ""), InputError);
  const auto spread = replay(128, ", spread: true");
  std::vector<int> used(128, 0);
  for (std::uint64_t r = 0; r < 8; ++r)
    for (std::uint32_t p = 0; p < 20; ++p) {
      const Routed want = route(*plain, r, p, 4);
      const Routed got = route(*spread, r, p, 4);
      for (std::size_t j = 0; j < 4; ++j) {
        EXPECT_EQ(got.experts[j], want.experts[j] * 4 + static_cast<std::int32_t>(r % 4));
        EXPECT_EQ(got.gates[j], want.gates[j]);
        ++used[static_cast<std::size_t>(got.experts[j])];
      }
    }
  EXPECT_GT(std::count_if(used.begin(), used.end(), [](int n) { return n > 0; }), 64);
}

// --- malformed recordings ---------------------------------------------------------------------

// A recording of `tokens` tokens from position 5, 2 layers, top-2, experts (t + l + j) mod 4.
json fixture(int tokens) {
  json data = json::array();
  for (int t = 0; t < tokens; ++t) {
    json layers = json::object();
    for (int l = 0; l < 2; ++l)
      layers["layer_" + std::to_string(l)] = {{"selected_experts", {(t + l) % 4, (t + l + 1) % 4}},
                                              {"selected_probs", {0.75, 0.25}}};
    data.push_back({{"token_" + std::to_string(5 + t), layers}});
  }
  return {{"row_index", 7}, {"router_data", data}};
}

// Imports a folder holding one file `name` with `text` (gzipped for a .gz name unless `raw`).
std::string import_error(const std::string& name, const std::string& text, std::int64_t experts = 4,
                         bool raw = false) {
  const fs::path dir = scratch("bad_" + std::to_string(std::hash<std::string>{}(name + text)));
  const fs::path p = dir / name;
  if (name.ends_with(".gz") && !raw)
    write_gz(p, text);
  else
    std::ofstream(p, std::ios::binary) << text;
  try {
    import_gpt_oss(dir.string(), experts);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
    return e.what();
  }
  return "";
}

bool has(const std::string& s, const std::string& part) {
  if (s.find(part) != std::string::npos) return true;
  ADD_FAILURE() << "'" << s << "' lacks '" << part << "'";
  return false;
}

TEST(GptOssTrace, AWellFormedFixtureImports) {
  const fs::path dir = scratch("good");
  fs::create_directories(dir / "b");
  fs::create_directories(dir / "a");
  std::ofstream(dir / "b" / "x_examples.json") << fixture(3).dump();
  write_gz(dir / "a" / "y_examples.json.gz", fixture(2).dump());
  std::ofstream(dir / "a" / "notes.txt") << "not a recording";
  const RoutingTrace t = import_gpt_oss(dir.string());
  EXPECT_EQ(t.sequences, 2);
  EXPECT_EQ(t.experts, 4);  // largest id + 1
  EXPECT_EQ(t.length, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(t.requests[0].source, "a/y_examples.json.gz");
  EXPECT_EQ(t.requests[1].source, "b/x_examples.json");
  EXPECT_EQ(t.requests[1].first_position, 5);
  EXPECT_EQ(t.requests[1].row_index, 7);
  EXPECT_EQ(t.expert[t.row(1, 1, 2)], 3);  // token 2, layer 1: (2 + 1) mod 4
  EXPECT_EQ(t.expert[t.row(1, 1, 2) + 1], 0);
  EXPECT_EQ(t.weight[t.row(1, 1, 2)], 0.75f);
}

TEST(GptOssTrace, MalformedRecordingsNameTheFileAndToken) {
  const std::string good = fixture(3).dump();
  EXPECT_EQ(import_error("r.json", good), "");
  // Truncated inside the second token.
  const auto cut = good.find("token_6") + 20;
  has(import_error("r.json", good.substr(0, cut)), "invalid JSON in router_data[1]");
  has(import_error("r.json.gz", good.substr(0, cut)), "invalid JSON in router_data[1]");
  has(import_error("r.json.gz", good, 4, true), "not gzip data");
  {  // A real gzip file cut short, and one with its deflate data damaged.
    const fs::path dir = scratch("gz");
    write_gz(dir / "whole.json.gz", good);
    std::ifstream in(dir / "whole.json.gz", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    has(import_error("r.json.gz", bytes.substr(0, bytes.size() / 2), 4, true), "gzip");
    std::string damaged = bytes;
    for (std::size_t i = 12; i < 40; ++i) damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
    has(import_error("r.json.gz", damaged, 4, true), "gzip");
  }

  json missing = fixture(3);
  missing["router_data"][1]["token_6"].erase("layer_1");
  has(import_error("r.json", missing.dump()), "router_data[1] (token_6): 1 layers");
  json renamed = fixture(3);
  renamed["router_data"][2]["token_7"]["layer_9"] = renamed["router_data"][2]["token_7"]["layer_1"];
  renamed["router_data"][2]["token_7"].erase("layer_1");
  has(import_error("r.json", renamed.dump()), "router_data[2] (token_7): layer_1 missing");

  json range = fixture(3);
  range["router_data"][2]["token_7"]["layer_0"]["selected_experts"][1] = 9;
  has(import_error("r.json", range.dump()),
      "router_data[2] (token_7) layer_0: expert id 9 out of range [0, 4)");
  range["router_data"][2]["token_7"]["layer_0"]["selected_experts"][1] = -1;
  has(import_error("r.json", range.dump(), 0), "expert id -1 out of range");

  json topk = fixture(3);
  topk["router_data"][1]["token_6"]["layer_1"]["selected_experts"] = {1, 2, 3};
  topk["router_data"][1]["token_6"]["layer_1"]["selected_probs"] = {0.5, 0.3, 0.2};
  has(import_error("r.json", topk.dump()),
      "router_data[1] (token_6) layer_1: top-3 where earlier tokens were top-2");

  json not_array = fixture(1);
  not_array["router_data"] = json::object();
  has(import_error("r.json", not_array.dump()), "router_data: not an array");
  has(import_error("r.json", "{\"row_index\": 1}"), "router_data: missing");

  json gap = fixture(3);
  gap["router_data"][2] = {{"token_9", gap["router_data"][2]["token_7"]}};
  has(import_error("r.json", gap.dump()), "router_data[2] (token_9): follows token_6");

  json twice = fixture(2);
  twice["router_data"][0]["token_5"]["layer_0"]["selected_experts"] = {2, 2};
  has(import_error("r.json", twice.dump()), "expert 2 selected twice");

  EXPECT_THROW(import_gpt_oss(scratch("empty").string()), InputError);
}

TEST(GptOssTrace, MalformedVersion2TracesNameTheLine) {
  const std::string head =
      "# sievesim-trace 2\nexperts,4\ntopk,2\nlayers,1\nrequests,2\n"
      "request,tokens,first_position,row_index,source\n0,1,5,-1,a,b.json\n1,2,0,3,c.json\n"
      "layer,request,position,expert_0,expert_1,weight_0,weight_1\n";
  const std::string rows = "0,0,0,1,2,0.5,0.5\n0,1,0,1,2,0.5,0.5\n0,1,1,3,2,0.5,0.5\n";
  auto error = [&](const std::string& text) -> std::string {
    const fs::path p = scratch("v2") / "t.trace";
    std::ofstream(p) << text;
    try {
      const RoutingTrace t = read_trace(p.string());
      EXPECT_EQ(t.requests[0].source, "a,b.json");
      EXPECT_EQ(t.length, (std::vector<std::int64_t>{1, 2}));
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error(head + rows), "");
  has(error(head + rows + "0,0,1,1,2,0.5,0.5\n"),
      "line 13: layer, sequence or position out of range");
  has(error(head + "0,0,0,1,2,0.5,0.5\n"), "rows are missing");
  std::string swapped = head;
  swapped.replace(swapped.find("1,2,0,3"), 1, "0");
  has(error(swapped + rows), "line 8: expected request 1");
}

}  // namespace
}  // namespace sievesim
