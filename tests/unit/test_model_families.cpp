// Model families: every model_type the loader knew before the registry is registered, and the
// generic MoE family reads unregistered MoE configs (OLMoE, Qwen1.5-MoE as published) to their
// published sizes, or fails naming the file and the key it lacks.
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "common/test_paths.hpp"
#include "model/model.hpp"
#include "model/model_family.hpp"

namespace sievesim {
namespace {

using json = nlohmann::json;

std::string fixture(const std::string& file) {
  return test::source_dir() + "/tests/data/" + file;
}

json fixture_json(const std::string& file) {
  return json::parse(load_hf_config(fixture(file)).config_json);
}

InputError parse_error(const std::string& text, const std::string& path = "bad.json") {
  try {
    parse_hf_config(text, path);
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError for: " << text.substr(0, 200);
  return InputError("", "", "");
}

// Routes spdlog's default logger into a string for the lifetime of the object.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
    auto logger = std::make_shared<spdlog::logger>("captured", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(ModelFamilyRegistry, EveryFormerlySupportedTypeIsRegistered) {
  // The model_types the if-chain of hf_loader.cpp accepted before the registry.
  const std::vector<std::string> expected = {"deepseek_v3",      "deepseek_v32", "gpt_oss",
                                             "mixtral",          "qwen3",        "qwen3_5_moe",
                                             "qwen3_5_moe_text", "qwen3_moe",    "qwen3_next"};
  for (const std::string& name : expected) {
    const auto* entry = ModelFamilyRegistry::instance().find(name);
    ASSERT_NE(entry, nullptr) << name;
    EXPECT_FALSE(entry->description.empty()) << name;
  }
}

TEST(ModelFamilyRegistry, OnlyTheQwen35WrapperUnwrapsATextConfig) {
  const json wrapped = {{"model_type", "qwen3_5_moe"}, {"text_config", {{"hidden_size", 8}}}};
  const hf::Section top(wrapped, "w.json", "");
  for (const std::string& name : ModelFamilyRegistry::instance().names()) {
    const auto family = ModelFamilyRegistry::instance().find(name)->make();
    const auto text = family->text_model(top);
    EXPECT_EQ(text.has_value(), name == "qwen3_5_moe") << name;
    if (text) {
      EXPECT_EQ(text->model_type, "qwen3_5_moe_text");
      EXPECT_EQ(text->section.integer("hidden_size"), 8);
    }
  }
}

// OLMoE-1B-7B: 16 layers of GQA (MHA: 16 KV heads of 128) and 64 SwiGLU experts 1024 wide,
// top-8, untied 50304-token vocabulary.
TEST(HfGenericMoeFamily, OlmoeLoadsToItsPublishedShape) {
  CapturedLog log;
  const ModelSpec m = load_hf_config(fixture("olmoe-1b-7b-0924.json"));
  EXPECT_NE(log.text().find("model_type 'olmoe' has no family of its own; loaded with the "
                            "generic MoE family"),
            std::string::npos)
      << log.text();
  EXPECT_EQ(m.model_type, "olmoe");
  EXPECT_EQ(m.name, "olmoe-1b-7b-0924");
  EXPECT_EQ(m.num_layers, 16);
  EXPECT_EQ(m.num_moe_layers(), 16);
  EXPECT_EQ(m.routed_experts, 64);
  EXPECT_EQ(m.top_k, 8);
  EXPECT_EQ(m.shared_experts, 0);
  EXPECT_EQ(m.expert.intermediate, 1024);  // intermediate_size: OLMoE has no moe_intermediate_size
  EXPECT_EQ(m.expert.params(), 3 * 2048 * 1024);
  EXPECT_DOUBLE_EQ(m.expert.weight_bytes(), 3.0 * 2048 * 1024 * 2);  // BF16
  EXPECT_EQ(m.num_kv_heads, 16);
  EXPECT_EQ(m.head_dim, 128);  // hidden / heads: the config has no head_dim
  for (const LayerSpec& l : m.layers) {
    EXPECT_EQ(l.attention, AttentionKind::kFull);
    EXPECT_DOUBLE_EQ(l.kv_bytes_per_token, 2.0 * 16 * 128 * 2);  // K and V, BF16
    EXPECT_EQ(l.router_params, 64 * 2048);
  }
  // Module by module: q, k, v, o (2048 x 2048 each) and two norms per layer; embedding and
  // lm_head; the final norm.
  const std::int64_t attn = 4LL * 2048 * 2048 + 2 * 2048;
  const std::int64_t per_layer_experts = 64LL * 3 * 2048 * 1024;
  const std::int64_t embed = 50304LL * 2048;
  EXPECT_EQ(m.total_params(), 2 * embed + 2048 + 16 * (attn + 64 * 2048 + per_layer_experts));
  // The paper's 6.9B total and 1.3B active (the latter counting the embedding table, as the
  // 1.18B without it would round to 1.2B) are rounded to 0.1B: half that digit is the tolerance.
  // What the generic family leaves out (OLMoE's q/k norms, 65K parameters) is far below it.
  EXPECT_NEAR(static_cast<double>(m.total_params()) / 1e9, 6.9, 0.05);
  EXPECT_NEAR(static_cast<double>(m.active_params_with_embedding()) / 1e9, 1.3, 0.05);
}

// Qwen1.5-MoE-A2.7B: 24 layers, 60 experts 1408 wide top-4, one gated shared expert 5632 wide.
TEST(HfGenericMoeFamily, Qwen15MoeLoadsToItsPublishedShape) {
  const ModelSpec m = load_hf_config(fixture("qwen1.5-moe-a2.7b.json"));
  EXPECT_EQ(m.model_type, "qwen2_moe");
  EXPECT_EQ(m.num_layers, 24);
  EXPECT_EQ(m.num_moe_layers(), 24);  // decoder_sparse_step 1, no mlp_only_layers
  EXPECT_EQ(m.routed_experts, 60);
  EXPECT_EQ(m.top_k, 4);
  EXPECT_EQ(m.expert.intermediate, 1408);  // moe_intermediate_size, not intermediate_size
  EXPECT_EQ(m.expert.params(), 3 * 2048 * 1408);
  EXPECT_EQ(m.shared_experts, 1);
  EXPECT_EQ(m.shared_expert.intermediate, 5632);
  EXPECT_EQ(m.shared_expert.params(), 3 * 2048 * 5632);
  for (const LayerSpec& l : m.layers) {
    EXPECT_EQ(l.router_params, 60 * 2048 + 2048);  // router + the shared expert's sigmoid gate
    EXPECT_EQ(l.attention, AttentionKind::kFull);  // use_sliding_window is false
  }
  const std::int64_t attn = 4LL * 2048 * 2048 + 2 * 2048;
  const std::int64_t moe = 60 * 2048 + 2048 + 60LL * 3 * 2048 * 1408 + 3LL * 2048 * 5632;
  const std::int64_t embed = 151936LL * 2048;
  EXPECT_EQ(m.total_params(), 2 * embed + 2048 + 24 * (attn + moe));
  // The card's 14.3B and 2.7B are rounded to 0.1B (tolerance: half of it); its active figure
  // counts the embedding table, as Qwen's cards do. The q/k/v biases Qwen2-MoE hard-wires and
  // the generic family cannot see are 147K parameters.
  EXPECT_NEAR(static_cast<double>(m.total_params()) / 1e9, 14.3, 0.05);
  EXPECT_NEAR(static_cast<double>(m.active_params_with_embedding()) / 1e9, 2.7, 0.05);
}

TEST(HfGenericMoeFamily, NoExpertCountNamesTheFileAndTheKey) {
  json j = fixture_json("olmoe-1b-7b-0924.json");
  j.erase("num_experts");
  const InputError e = parse_error(j.dump(), "my-olmoe.json");
  EXPECT_EQ(e.file(), "my-olmoe.json");
  EXPECT_EQ(e.key(), "num_local_experts");
  const std::string what = e.what();
  EXPECT_TRUE(
      what.starts_with("my-olmoe.json: num_local_experts: missing required key (nor is "
                       "num_experts present): model_type 'olmoe' has no family of its own"))
      << what;
}

TEST(HfGenericMoeFamily, ZeroExpertsIsNotAnMoeModel) {
  json j = fixture_json("olmoe-1b-7b-0924.json");
  j["num_experts"] = 0;
  EXPECT_EQ(parse_error(j.dump()).key(), "num_experts");
}

TEST(HfGenericMoeFamily, EitherExpertCountSpellingAndTheyMustAgree) {
  json j = fixture_json("olmoe-1b-7b-0924.json");
  j.erase("num_experts");
  j["num_local_experts"] = 64;
  EXPECT_EQ(parse_hf_config(j.dump(), "x.json").routed_experts, 64);
  j["num_experts"] = 32;
  EXPECT_EQ(parse_error(j.dump()).key(), "num_experts");
}

TEST(HfGenericMoeFamily, NoExpertWidthNamesBothKeys) {
  json j = fixture_json("olmoe-1b-7b-0924.json");
  j.erase("intermediate_size");
  const InputError e = parse_error(j.dump());
  EXPECT_EQ(e.key(), "moe_intermediate_size");
  EXPECT_NE(std::string(e.what()).find("nor is intermediate_size present"), std::string::npos)
      << e.what();
}

TEST(HfGenericMoeFamily, SparseStepAndMlpOnlyLayersMakeDenseLayers) {
  json j = fixture_json("qwen1.5-moe-a2.7b.json");
  j["decoder_sparse_step"] = 2;  // layers 1, 3, 5, ... (0-based) are MoE
  j["mlp_only_layers"] = {1};
  const ModelSpec m = parse_hf_config(j.dump(), "x.json");
  EXPECT_EQ(m.num_moe_layers(), 11);
  EXPECT_FALSE(m.layers[0].moe);
  EXPECT_FALSE(m.layers[1].moe);
  EXPECT_TRUE(m.layers[3].moe);
  EXPECT_EQ(m.layers[0].dense_ffn_params, 3 * 2048 * 5632);  // intermediate_size
  EXPECT_EQ(m.layers[0].router_params, 0);
}

TEST(HfGenericMoeFamily, HeadsDtypeAndTiedEmbeddings) {
  json j = fixture_json("olmoe-1b-7b-0924.json");
  j["num_key_value_heads"] = 4;
  j["head_dim"] = 64;
  j["tie_word_embeddings"] = true;
  j.erase("torch_dtype");
  j["dtype"] = "float32";
  const ModelSpec m = parse_hf_config(j.dump(), "x.json");
  EXPECT_EQ(m.num_kv_heads, 4);
  EXPECT_EQ(m.head_dim, 64);
  EXPECT_EQ(m.lm_head_params(), 0);
  EXPECT_EQ(m.activation_dtype, DType::kFP32);
  EXPECT_DOUBLE_EQ(m.layers[0].kv_bytes_per_token, 2.0 * 4 * 64 * 4);
  // q and o: 2048 x 16*64; k and v: 2048 x 4*64; two norms.
  EXPECT_EQ(m.layers[0].attention_params, 2 * 2048 * 1024 + 2 * 2048 * 256 + 2 * 2048);
}

TEST(HfGenericMoeFamily, RegisteredTypesDoNotLogTheFallback) {
  CapturedLog log;
  load_hf_config(test::source_dir() + "/models/qwen3-30b-a3b.json");
  EXPECT_EQ(log.text().find("generic"), std::string::npos) << log.text();
}

}  // namespace
}  // namespace sievesim
