// Model loader: parameter counts match the published figures, per-expert and KV shapes match the
// hand-derived values in shared/reference/models.md, and bad input raises InputError naming the
// key. (test_model_families.cpp rederives every figure of every config from its fields.)
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "model/model.hpp"

namespace sievesim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Compile definitions give the directories; walking up from the working directory covers a
// build that does not define them.
fs::path find_dir(const char* defined, const std::string& relative) {
  if (defined != nullptr && fs::is_directory(fs::path(defined) / relative))
    return fs::path(defined) / relative;
  for (fs::path p = fs::current_path(); !p.empty(); p = p.parent_path()) {
    for (const char* prefix : {"", "main", "shared", "../shared"}) {
      if (fs::is_directory(p / prefix / relative)) return p / prefix / relative;
    }
    if (p == p.root_path()) break;
  }
  return {};
}

#ifdef SIEVESIM_SOURCE_DIR
constexpr const char* kSourceDir = SIEVESIM_SOURCE_DIR;
#else
constexpr const char* kSourceDir = nullptr;
#endif
#ifdef SIEVESIM_SHARED_DIR
constexpr const char* kSharedDir = SIEVESIM_SHARED_DIR;
#else
constexpr const char* kSharedDir = nullptr;
#endif

fs::path models_dir() {
  return find_dir(kSourceDir, "models");
}
fs::path reference_dir() {
  return find_dir(kSharedDir, "model_configs/hf_reference");
}

ModelSpec load_model(const std::string& file) {
  return load_hf_config((models_dir() / file).string());
}
ModelSpec load_reference(const std::string& file) {
  return load_hf_config((reference_dir() / file).string());
}

std::int64_t count_kind(const ModelSpec& m, AttentionKind k) {
  std::int64_t n = 0;
  for (const LayerSpec& l : m.layers) n += l.attention == k ? 1 : 0;
  return n;
}

constexpr double kKiB = 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;

// Totals and actives against the model cards, each in the card's own convention: Qwen,
// DeepSeek and Mistral count the input embedding table as active; OpenAI's 5.1B for GPT-OSS
// leaves it out (it only reads one row per token).
struct Published {
  const char* file;
  double total_b;
  double active_b;
  bool active_with_embedding;
};

class PublishedFigures : public ::testing::TestWithParam<Published> {};

TEST_P(PublishedFigures, WithinThreePercent) {
  const Published& p = GetParam();
  const ModelSpec m = load_model(p.file);
  const double total = static_cast<double>(m.total_params()) / 1e9;
  const double active =
      static_cast<double>(p.active_with_embedding ? m.active_params_with_embedding()
                                                  : m.active_params()) /
      1e9;
  EXPECT_NEAR(total, p.total_b, 0.03 * p.total_b) << p.file;
  EXPECT_NEAR(active, p.active_b, 0.03 * p.active_b) << p.file;
}

INSTANTIATE_TEST_SUITE_P(Models, PublishedFigures,
                         ::testing::Values(Published{"qwen3-30b-a3b.json", 30.5, 3.3, true},
                                           Published{"qwen3.5-397b-a17b.json", 397, 17, true},
                                           Published{"gpt-oss-120b.json", 117, 5.1, false},
                                           Published{"deepseek-v3.json", 671, 37, true},
                                           Published{"mixtral-8x7b.json", 46.7, 12.9, true}));

TEST(ModelShapes, Qwen3_30B_A3B) {
  const ModelSpec m = load_model("qwen3-30b-a3b.json");
  EXPECT_EQ(m.name, "qwen3-30b-a3b");
  EXPECT_EQ(m.model_type, "qwen3_moe");
  EXPECT_EQ(m.routed_experts, 128);
  EXPECT_EQ(m.top_k, 8);
  EXPECT_EQ(m.shared_experts, 0);
  EXPECT_EQ(m.num_moe_layers(), 48);
  EXPECT_EQ(count_kind(m, AttentionKind::kFull), 48);
  EXPECT_EQ(m.expert.params(), 4'718'592);
  EXPECT_DOUBLE_EQ(m.expert.weight_bytes(), 9'437'184.0);
  EXPECT_EQ(m.expert.weight_dtype, DType::kBF16);
  EXPECT_DOUBLE_EQ(m.kv_bytes_per_token(), 96 * kKiB);
  EXPECT_DOUBLE_EQ(m.token_bytes(), 4096.0);
  const auto mats = m.expert.matrices();
  ASSERT_EQ(mats.size(), 2u);
  EXPECT_EQ(mats[0].rows, 2048);
  EXPECT_EQ(mats[0].cols, 2 * 768);
  EXPECT_EQ(mats[1].rows, 768);
  EXPECT_EQ(mats[1].cols, 2048);
}

TEST(ModelShapes, GptOss120B) {
  const ModelSpec m = load_model("gpt-oss-120b.json");
  EXPECT_EQ(m.routed_experts, 128);
  EXPECT_EQ(m.top_k, 4);
  EXPECT_TRUE(m.expert.bias);
  EXPECT_EQ(m.expert.weight_dtype, DType::kMXFP4);
  EXPECT_EQ(m.weight_dtype, DType::kBF16);
  // gate_up 2880 x 5760 + down 2880 x 2880 weights, plus 5760 + 2880 biases.
  EXPECT_EQ(m.expert.params(), 24'883'200 + 8'640);
  // 4.25 bit/weight MXFP4, biases stay BF16.
  EXPECT_DOUBLE_EQ(m.expert.weight_bytes(), 24'883'200 * 4.25 / 8 + 8'640 * 2.0);
  EXPECT_NEAR(m.expert.weight_bytes() / 1e6, 13.22, 0.02);
  EXPECT_EQ(count_kind(m, AttentionKind::kSlidingWindow), 18);
  EXPECT_EQ(count_kind(m, AttentionKind::kFull), 18);
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    const bool sliding = i % 2 == 0;
    EXPECT_EQ(m.layers[i].attention,
              sliding ? AttentionKind::kSlidingWindow : AttentionKind::kFull);
    if (sliding) {
      EXPECT_EQ(m.layers[i].window_tokens, 128);
    }
    EXPECT_DOUBLE_EQ(m.layers[i].kv_bytes_per_token, 2 * kKiB);
  }
}

TEST(ModelShapes, Qwen35_397B_A17B) {
  const ModelSpec m = load_model("qwen3.5-397b-a17b.json");
  EXPECT_EQ(m.model_type, "qwen3_5_moe_text");
  EXPECT_EQ(m.routed_experts, 512);
  EXPECT_EQ(m.top_k, 10);
  EXPECT_EQ(m.shared_experts, 1);
  EXPECT_EQ(m.shared_expert.intermediate, 1024);
  EXPECT_EQ(m.expert.params(), 12'582'912);
  EXPECT_EQ(count_kind(m, AttentionKind::kFull), 15);
  EXPECT_EQ(count_kind(m, AttentionKind::kLinear), 45);
  EXPECT_DOUBLE_EQ(m.kv_bytes_per_token(), 30 * kKiB);
  // Recurrent state: 64 V heads x 128 x 128 fp32 per layer; conv state: (2*16*128 + 64*128)
  // channels x 3 taps x BF16 per layer.
  double state = 0;
  for (const LayerSpec& l : m.layers) state += l.state_bytes_per_sequence;
  const double conv_state = 45.0 * (2 * 16 * 128 + 64 * 128) * 3 * 2;
  EXPECT_DOUBLE_EQ(state, 180 * kMiB + conv_state);
  for (const LayerSpec& l : m.layers) {
    if (l.attention == AttentionKind::kLinear) {
      EXPECT_DOUBLE_EQ(l.kv_bytes_per_token, 0.0);
    }
  }
}

TEST(ModelShapes, DeepSeekV3) {
  const ModelSpec m = load_model("deepseek-v3.json");
  EXPECT_EQ(m.num_layers, 61);
  EXPECT_EQ(m.num_moe_layers(), 58);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(m.layers[i].moe);
  EXPECT_EQ(m.routed_experts, 256);
  EXPECT_EQ(m.shared_experts, 1);
  EXPECT_EQ(m.expert.weight_dtype, DType::kFP8);
  EXPECT_EQ(m.weight_dtype, DType::kFP8);
  EXPECT_EQ(m.activation_dtype, DType::kBF16);
  for (const LayerSpec& l : m.layers) {
    EXPECT_EQ(l.attention, AttentionKind::kMla);
    EXPECT_DOUBLE_EQ(l.kv_bytes_per_token, 1152.0);  // (512 + 64) x BF16
  }
  // DeepSeek's own weight notes: 36.6B active including the 0.9B output head, embedding
  // excluded.
  EXPECT_NEAR(static_cast<double>(m.active_params()) / 1e9, 36.6, 0.1);
}

TEST(ModelShapes, DeepSeekKeySpellingsAgree) {
  // InferSim's copy says num_routed_experts; the shipped file has HF's n_routed_experts.
  const ModelSpec hf = load_model("deepseek-v3.json");
  const ModelSpec infersim = load_reference("deepseek_v3_config.json");
  EXPECT_EQ(hf.total_params(), infersim.total_params());
  EXPECT_EQ(hf.active_params(), infersim.active_params());
  EXPECT_EQ(infersim.name, "deepseek_v3");
}

TEST(ModelShapes, DeepSeekV32AddsIndexer) {
  // The two files differ in the indexer fields alone (and key spellings).
  const ModelSpec v3 = load_reference("deepseek_v3_config.json");
  const ModelSpec v32 = load_reference("deepseek_v3.2_config.json");
  // wq_b (q_lora 1536 -> 64 heads x 128), wk (7168 -> 128), k_norm (weight and bias of 128),
  // weights_proj (7168 -> 64 heads), in each of the 61 layers.
  const std::int64_t indexer = 1536LL * 64 * 128 + 7168 * 128 + 2 * 128 + 7168 * 64;
  EXPECT_EQ(indexer, 13'959'424);
  EXPECT_EQ(v32.total_params() - v3.total_params(), 61 * indexer);
  EXPECT_EQ(v32.active_params() - v3.active_params(), 61 * indexer);
  // Its key cache: 128 FP8 values and one fp32 scale per token and layer.
  EXPECT_DOUBLE_EQ(v32.layers[0].kv_bytes_per_token, 1152.0 + 128 + 4);
}

TEST(ModelShapes, DenseQwen3_8B) {
  const ModelSpec m = load_reference("qwen3-8B_config.json");
  EXPECT_EQ(m.name, "qwen3-8B");
  EXPECT_EQ(m.routed_experts, 0);
  EXPECT_EQ(m.num_moe_layers(), 0);
  EXPECT_NEAR(static_cast<double>(m.total_params()) / 1e9, 8.2, 0.1);
  EXPECT_EQ(m.total_params(), m.active_params_with_embedding());
}

TEST(ModelShapes, Qwen35FP8Checkpoint) {
  const ModelSpec m = load_reference("qwen3.5-122B-A10B_config.json");
  EXPECT_EQ(m.expert.weight_dtype, DType::kFP8);
  EXPECT_EQ(m.weight_dtype, DType::kFP8);
  EXPECT_EQ(m.activation_dtype, DType::kBF16);
  EXPECT_NEAR(static_cast<double>(m.total_params()) / 1e9, 122, 0.03 * 122);
}

TEST(ModelShapes, Qwen3SlidesFromMaxWindowLayersOn) {
  json j = json::parse(load_model("qwen3-30b-a3b.json").config_json);
  j["use_sliding_window"] = true;
  j["sliding_window"] = 4096;
  j["max_window_layers"] = 10;
  const ModelSpec m = parse_hf_config(j.dump(), "swa.json");
  for (std::int64_t i = 0; i < m.num_layers; ++i) {
    const LayerSpec& l = m.layers[static_cast<std::size_t>(i)];
    EXPECT_EQ(l.attention, i >= 10 ? AttentionKind::kSlidingWindow : AttentionKind::kFull) << i;
    EXPECT_EQ(l.window_tokens, i >= 10 ? 4096 : 0) << i;
  }
  // 10 full layers hold all 8192 tokens, 38 sliding ones 4096; 2 KiB of K/V per token and layer.
  EXPECT_DOUBLE_EQ(m.sequence_kv_bytes(8192), (10.0 * 8192 + 38.0 * 4096) * 2 * kKiB);
}

TEST(ModelShapes, MixtralSlidesEveryLayerWhenAWindowIsSet) {
  json j = json::parse(load_model("mixtral-8x7b.json").config_json);
  j["sliding_window"] = 4096;
  const ModelSpec m = parse_hf_config(j.dump(), "swa.json");
  EXPECT_EQ(count_kind(m, AttentionKind::kSlidingWindow), 32);
  EXPECT_EQ(m.layers[31].window_tokens, 4096);
}

TEST(DTypes, BytesAndNames) {
  EXPECT_DOUBLE_EQ(dtype_bytes(DType::kFP32), 4.0);
  EXPECT_DOUBLE_EQ(dtype_bytes(DType::kBF16), 2.0);
  EXPECT_DOUBLE_EQ(dtype_bytes(DType::kFP16), 2.0);
  EXPECT_DOUBLE_EQ(dtype_bytes(DType::kFP8), 1.0);
  EXPECT_DOUBLE_EQ(dtype_bytes(DType::kMXFP4), 0.53125);
  EXPECT_STREQ(dtype_name(DType::kMXFP4), "mxfp4");
  EXPECT_STREQ(attention_kind_name(AttentionKind::kMla), "mla");
}

// --- bad input ----------------------------------------------------------------------------

json qwen3_30b() {
  return json::parse(load_model("qwen3-30b-a3b.json").config_json);
}

// Runs the parser and returns the InputError it must throw.
InputError parse_error(const std::string& text) {
  try {
    parse_hf_config(text, "bad.json");
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError for: " << text.substr(0, 200);
  return InputError("", "", "");
}

TEST(ModelErrors, MalformedJson) {
  const InputError e = parse_error("{\"model_type\": \"qwen3_moe\", ");
  EXPECT_EQ(e.file(), "bad.json");
  EXPECT_NE(std::string(e.what()).find("malformed JSON"), std::string::npos) << e.what();
}

TEST(ModelErrors, MissingHiddenSize) {
  json j = qwen3_30b();
  j.erase("hidden_size");
  const InputError e = parse_error(j.dump());
  EXPECT_EQ(e.key(), "hidden_size");
  EXPECT_NE(std::string(e.what()).find("hidden_size: missing required key"), std::string::npos)
      << e.what();
}

TEST(ModelErrors, MissingKeyInsideTextConfigNamesThePath) {
  json j = json::parse(load_model("qwen3.5-397b-a17b.json").config_json);
  j["text_config"].erase("num_experts");
  const InputError e = parse_error(j.dump());
  EXPECT_EQ(e.key(), "text_config.num_experts");
}

TEST(ModelErrors, WrongType) {
  json j = qwen3_30b();
  j["num_experts"] = "many";
  const InputError e = parse_error(j.dump());
  EXPECT_EQ(e.key(), "num_experts");
  EXPECT_NE(std::string(e.what()).find("expected an integer"), std::string::npos) << e.what();
}

TEST(ModelErrors, TopKExceedsExperts) {
  json j = qwen3_30b();
  j["num_experts_per_tok"] = 200;
  const InputError e = parse_error(j.dump());
  EXPECT_EQ(e.key(), "num_experts_per_tok");
  EXPECT_NE(std::string(e.what()).find("exceeds"), std::string::npos) << e.what();
}

TEST(ModelErrors, TopKZeroOnMoe) {
  json j = qwen3_30b();
  j["num_experts_per_tok"] = 0;
  EXPECT_EQ(parse_error(j.dump()).key(), "num_experts_per_tok");
}

TEST(ModelLoader, UnknownModelTypeReadsAsGenericMoe) {
  json j = qwen3_30b();
  j["model_type"] = "llama4";
  const ModelSpec generic = parse_hf_config(j.dump(), "x.json");
  const ModelSpec qwen = load_model("qwen3-30b-a3b.json");
  EXPECT_EQ(generic.model_type, "llama4");
  EXPECT_EQ(generic.routed_experts, 128);
  EXPECT_EQ(generic.top_k, 8);
  EXPECT_EQ(generic.expert.params(), qwen.expert.params());
  EXPECT_DOUBLE_EQ(generic.kv_bytes_per_token(), qwen.kv_bytes_per_token());
  // All it cannot know is Qwen3's per-head q/k RMSNorm: 2 x head_dim 128 in each of 48 layers.
  EXPECT_EQ(qwen.total_params() - generic.total_params(), 48 * 2 * 128);
}

TEST(ModelErrors, ImpossibleShapes) {
  json j = qwen3_30b();
  j["hidden_size"] = 0;
  EXPECT_EQ(parse_error(j.dump()).key(), "hidden_size");
  j = qwen3_30b();
  j["num_hidden_layers"] = -4;
  EXPECT_EQ(parse_error(j.dump()).key(), "num_hidden_layers");
  j = qwen3_30b();
  j["hidden_size"] = 1e15;
  EXPECT_EQ(parse_error(j.dump()).key(), "hidden_size");
  j = json::parse(load_model("gpt-oss-120b.json").config_json);
  j["layer_types"].erase(0);
  EXPECT_EQ(parse_error(j.dump()).key(), "layer_types");
  j = json::parse(load_model("gpt-oss-120b.json").config_json);
  j["layer_types"][3] = "chunked_attention";
  EXPECT_EQ(parse_error(j.dump()).key(), "layer_types");
}

TEST(ModelErrors, UnsupportedQuantization) {
  json j = qwen3_30b();
  j["quantization_config"] = {{"quant_method", "gptq"}};
  EXPECT_EQ(parse_error(j.dump()).key(), "quantization_config.quant_method");
}

TEST(ModelErrors, MissingFile) {
  try {
    load_hf_config("/nonexistent/dir/model.json");
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "/nonexistent/dir/model.json");
    EXPECT_NE(std::string(e.what()).find("cannot open model config"), std::string::npos);
  }
}

TEST(ModelLoader, DeepSeekWithoutQueryCompressionLoads) {
  json j = json::parse(load_model("deepseek-v3.json").config_json);
  const ModelSpec full = parse_hf_config(j.dump(), "v3.json");
  j["q_lora_rank"] = nullptr;
  const ModelSpec lite = parse_hf_config(j.dump(), "v3-no-qlora.json");
  EXPECT_EQ(lite.name, "v3-no-qlora");
  // H x heads*(nope+rope) replaces H x q_lora + q_lora (norm) + q_lora x heads*(nope+rope).
  const std::int64_t delta = 7168LL * 128 * 192 - (7168LL * 1536 + 1536 + 1536LL * 128 * 192);
  EXPECT_EQ(lite.layers[0].attention_params - full.layers[0].attention_params, delta);
}

}  // namespace
}  // namespace sievesim
