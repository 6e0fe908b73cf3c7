// Model families: every model_type the loader knew before the registry is registered; the
// generic MoE family reads unregistered MoE configs (OLMoE, Qwen1.5-MoE as published) to their
// published sizes, or fails naming the file and the key it lacks; and every figure of every
// shipped and reference config, rederived here from the config's fields, matches the loader's.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
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

namespace fs = std::filesystem;
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

// --- every family's derivation, recomputed from the config's fields ----------------------------

std::int64_t num(const json& c, const char* k) {
  return c.at(k).get<std::int64_t>();
}

// The value of the first of `keys` present, else 0.
std::int64_t first_of(const json& c, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (c.contains(k) && !c[k].is_null()) return num(c, k);
  return 0;
}

// The file name less ".json" or "_config.json", as ModelSpec::name.
std::string stem(const std::string& path) {
  std::string f = fs::path(path).filename().string();
  for (const std::string suffix : {"_config.json", ".json"}) {
    if (f.ends_with(suffix)) return f.substr(0, f.size() - suffix.size());
  }
  return f;
}

// Rebuilds each figure of `m` module by module, as the transformers modeling file of the
// config's model_type lays out the weights, and compares. Written apart from the families'
// code so that a wrong term in either shows up here.
void expect_derived_from_config(const ModelSpec& m) {
  SCOPED_TRACE(m.source_path);
  const json root = json::parse(m.config_json);
  const json& c = root.contains("text_config") ? root["text_config"] : root;
  const std::string type = c.value("model_type", root["model_type"].get<std::string>());
  EXPECT_EQ(m.model_type, type);
  EXPECT_EQ(m.name, stem(m.source_path));
  const bool mla = type.starts_with("deepseek");
  const bool gpt_oss = type == "gpt_oss";
  const bool hybrid = type == "qwen3_next" || type == "qwen3_5_moe_text";
  const bool qwen = type.starts_with("qwen3");
  const bool v32 = type == "deepseek_v32";

  const std::int64_t H = num(c, "hidden_size"), L = num(c, "num_hidden_layers");
  const std::int64_t V = num(c, "vocab_size");
  EXPECT_EQ(m.hidden, H);
  EXPECT_EQ(m.num_layers, L);
  EXPECT_EQ(m.vocab, V);
  ASSERT_EQ(static_cast<std::int64_t>(m.layers.size()), L);
  const bool tied = c.value("tie_word_embeddings", root.value("tie_word_embeddings", false));
  EXPECT_EQ(m.tie_word_embeddings, tied);

  // torch_dtype (or dtype, on either level; BF16 if none) for activations, KV and what stays
  // unquantized; quantization_config changes the weights only.
  std::string dtype;
  for (const json* level : {&c, &root})
    for (const char* key : {"torch_dtype", "dtype"})
      if (dtype.empty() && level->contains(key)) dtype = (*level)[key].get<std::string>();
  if (dtype.empty()) dtype = "bfloat16";
  const json* q = c.contains("quantization_config")      ? &c["quantization_config"]
                  : root.contains("quantization_config") ? &root["quantization_config"]
                                                         : nullptr;
  const std::string quant = q ? (*q)["quant_method"].get<std::string>() : "";
  const double base_b = dtype == "float32" ? 4.0 : 2.0;
  const double dense_b = quant == "fp8" ? 1.0 : base_b;
  const double expert_b = quant == "fp8" ? 1.0 : quant == "mxfp4" ? 4.25 / 8 : base_b;
  EXPECT_DOUBLE_EQ(m.token_bytes(), static_cast<double>(H) * base_b);

  const std::int64_t heads = num(c, "num_attention_heads");
  const std::int64_t kv = c.value("num_key_value_heads", heads);
  const std::int64_t kv_lora = mla ? num(c, "kv_lora_rank") : 0;
  const std::int64_t rope = mla ? num(c, "qk_rope_head_dim") : 0;
  const std::int64_t hd = mla ? num(c, "qk_nope_head_dim") + rope : c.value("head_dim", H / heads);
  EXPECT_EQ(m.num_heads, heads);
  EXPECT_EQ(m.num_kv_heads, kv);
  EXPECT_EQ(m.head_dim, hd);

  const std::int64_t E =
      first_of(c, {"num_experts", "num_local_experts", "n_routed_experts", "num_routed_experts"});
  const std::int64_t k = E > 0 ? num(c, "num_experts_per_tok") : 0;
  EXPECT_EQ(m.routed_experts, E);
  EXPECT_EQ(m.top_k, k);
  const std::int64_t I =
      E == 0 ? 0
             : num(c, gpt_oss || type == "mixtral" ? "intermediate_size" : "moe_intermediate_size");
  const std::int64_t expert_weights = 3 * H * I;
  const std::int64_t expert_biases = gpt_oss ? 2 * I + H : 0;  // gate_up and down biases
  const std::int64_t expert_params = expert_weights + expert_biases;
  EXPECT_EQ(m.expert.params(), expert_params);
  const double expert_bytes =
      static_cast<double>(expert_weights) * expert_b + static_cast<double>(expert_biases) * base_b;
  EXPECT_DOUBLE_EQ(m.expert.weight_bytes(), expert_bytes);
  const std::int64_t shared_width =
      mla ? I : c.value("shared_expert_intermediate_size", std::int64_t{0});
  const std::int64_t S =
      mla ? first_of(c, {"n_shared_experts", "num_shared_experts"}) : (shared_width > 0 ? 1 : 0);
  const std::int64_t shared_params = S > 0 ? 3 * H * shared_width : 0;
  EXPECT_EQ(m.shared_experts, S);
  EXPECT_EQ(m.shared_expert.params(), shared_params);

  std::vector<std::int64_t> mlp_only;
  if (c.contains("mlp_only_layers"))
    mlp_only = c["mlp_only_layers"].get<std::vector<std::int64_t>>();
  const std::int64_t sparse_step = c.value("decoder_sparse_step", std::int64_t{1});
  std::int64_t total = V * H * (tied ? 1 : 2) + H, inactive = 0, moe_layers = 0;
  double kv_per_token = 0, kv_at_4k = 0,
         non_expert = static_cast<double>(V * H * (tied ? 1 : 2) + H) * base_b;
  for (std::int64_t i = 0; i < L; ++i) {
    SCOPED_TRACE("layer " + std::to_string(i));
    const LayerSpec& l = m.layers[static_cast<std::size_t>(i)];
    AttentionKind kind = AttentionKind::kFull;
    if (mla) {
      kind = AttentionKind::kMla;
    } else if (c.contains("layer_types")) {
      const auto t = c["layer_types"][static_cast<std::size_t>(i)].get<std::string>();
      kind = t == "sliding_attention"  ? AttentionKind::kSlidingWindow
             : t == "linear_attention" ? AttentionKind::kLinear
                                       : AttentionKind::kFull;
    } else if (hybrid) {
      kind = (i + 1) % num(c, "full_attention_interval") == 0 ? AttentionKind::kFull
                                                              : AttentionKind::kLinear;
    } else if (gpt_oss) {
      kind = i % 2 == 0 ? AttentionKind::kSlidingWindow : AttentionKind::kFull;
    }
    EXPECT_EQ(l.attention, kind);

    std::int64_t attn = 2 * H;  // input and post-attention norms
    double kv_bytes = 0, state = 0;
    if (kind == AttentionKind::kMla) {
      const std::int64_t ql = num(c, "q_lora_rank"), v_dim = num(c, "v_head_dim");
      attn += H * ql + ql + ql * heads * hd  // q_a, q_a norm, q_b
              + H * (kv_lora + rope) + kv_lora + kv_lora * heads * (hd - rope + v_dim)  // kv
              + heads * v_dim * H;                                                      // o_proj
      kv_bytes = static_cast<double>(kv_lora + rope) * base_b;
      if (v32) {
        const std::int64_t ih = num(c, "index_n_heads"), ihd = num(c, "index_head_dim");
        attn += ql * ih * ihd + H * ihd + 2 * ihd + H * ih;  // wq_b, wk, k_norm, weights_proj
        kv_bytes += static_cast<double>(ihd) * 1.0 + static_cast<double>((ihd + 127) / 128) * 4.0;
      }
      EXPECT_EQ(l.kv_heads, 1);
      EXPECT_EQ(l.queries_per_kv, heads);
      EXPECT_EQ(l.key_dim, kv_lora + rope);
      EXPECT_EQ(l.value_dim, kv_lora);
    } else if (kind == AttentionKind::kLinear) {
      const std::int64_t nk = num(c, "linear_num_key_heads"), dk = num(c, "linear_key_head_dim");
      const std::int64_t nv = num(c, "linear_num_value_heads"),
                         dv = num(c, "linear_value_head_dim");
      const std::int64_t taps = num(c, "linear_conv_kernel_dim");
      const std::int64_t conv_channels = 2 * nk * dk + nv * dv;
      attn += H * (2 * nk * dk + 2 * nv * dv)            // in_proj_qkvz
              + H * 2 * nv                               // in_proj_ba
              + conv_channels * taps                     // depthwise conv1d
              + 2 * nv + dv                              // A_log, dt_bias, gated norm
              + nv * dv * H;                             // out_proj
      state = static_cast<double>(nv * dk * dv) * 4.0 +  // fp32 recurrent state
              static_cast<double>(conv_channels * (taps - 1)) * base_b;
      EXPECT_EQ(l.kv_heads, 0);
    } else {
      const bool gate = hybrid && c.value("attn_output_gate", true);
      const std::int64_t q_out = heads * hd * (gate ? 2 : 1);
      attn += H * q_out + 2 * H * kv * hd + heads * hd * H;
      if (c.value("attention_bias", gpt_oss)) attn += q_out + 2 * kv * hd + H;
      if (qwen) attn += 2 * hd;    // q_norm, k_norm
      if (gpt_oss) attn += heads;  // sinks
      kv_bytes = static_cast<double>(2 * kv * hd) * base_b;
      EXPECT_EQ(l.kv_heads, kv);
      EXPECT_EQ(l.queries_per_kv, heads / kv);
      EXPECT_EQ(l.key_dim, hd);
      EXPECT_EQ(l.value_dim, hd);
    }
    const std::int64_t window =
        kind == AttentionKind::kSlidingWindow ? num(c, "sliding_window") : 0;
    EXPECT_EQ(l.attention_params, attn);
    EXPECT_DOUBLE_EQ(l.kv_bytes_per_token, kv_bytes);
    EXPECT_DOUBLE_EQ(l.state_bytes_per_sequence, state);
    EXPECT_EQ(l.window_tokens, window);
    kv_per_token += kv_bytes;
    kv_at_4k +=
        static_cast<double>(window > 0 ? std::min<std::int64_t>(window, 4096) : 4096) * kv_bytes +
        state;

    bool moe = E > 0;
    if (mla) moe = moe && i >= c.value("first_k_dense_replace", std::int64_t{0});
    if (qwen) {
      moe = moe && (i + 1) % sparse_step == 0;
      for (std::int64_t d : mlp_only) moe = moe && d != i;
    }
    EXPECT_EQ(l.moe, moe);
    const bool score_bias = mla && c.value("topk_method", "") == "noaux_tc";
    const std::int64_t router =
        moe ? E * H + (gpt_oss || score_bias ? E : 0) + (!mla && shared_width > 0 ? H : 0) : 0;
    const std::int64_t dense = moe ? 0 : 3 * H * num(c, "intermediate_size");
    EXPECT_EQ(l.router_params, router);
    EXPECT_EQ(l.dense_ffn_params, dense);
    total += attn + router + dense + (moe ? E * expert_params + S * shared_params : 0);
    inactive += moe ? (E - k) * expert_params : 0;
    moe_layers += moe ? 1 : 0;
    non_expert += static_cast<double>(attn + dense) * dense_b +
                  static_cast<double>(router) * base_b +
                  (moe ? static_cast<double>(S * 3 * H * shared_width) * dense_b : 0.0);
  }
  EXPECT_EQ(m.num_moe_layers(), moe_layers);
  EXPECT_EQ(m.total_params(), total);
  EXPECT_EQ(m.active_params_with_embedding(), total - inactive);
  EXPECT_EQ(m.active_params(), total - inactive - V * H);
  EXPECT_DOUBLE_EQ(m.kv_bytes_per_token(), kv_per_token);
  EXPECT_DOUBLE_EQ(m.sequence_kv_bytes(4096), kv_at_4k);
  EXPECT_DOUBLE_EQ(m.routed_expert_bytes_total(),
                   static_cast<double>(moe_layers * E) * expert_bytes);
  EXPECT_DOUBLE_EQ(m.non_expert_weight_bytes(), non_expert);
}

std::vector<std::string> json_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".json") out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ModelFamilies, ReferenceConfigsDeriveFromTheirFields) {
  const std::string dir = test::shared_dir() + "/model_configs/hf_reference";
  const std::vector<std::string> expected = {
      "deepseek_v3.2_config.json",      "deepseek_v3_config.json",
      "gpt-oss-20b_config.json",        "qwen3-235B-A22B_config.json",
      "qwen3-30B-A3B_config.json",      "qwen3-8B_config.json",
      "qwen3-next-80B-A3B_config.json", "qwen3.5-122B-A10B_config.json",
      "qwen3.5-35B-A3B_config.json"};
  ASSERT_EQ(json_files(dir), expected);
  for (const std::string& f : expected) expect_derived_from_config(load_hf_config(dir + "/" + f));
}

TEST(ModelFamilies, ShippedModelsDeriveFromTheirFields) {
  const std::string dir = test::source_dir() + "/models";
  const std::vector<std::string> files = json_files(dir);
  for (const char* f : {"deepseek-v3.json", "gpt-oss-120b.json", "mixtral-8x7b.json",
                        "qwen3-30b-a3b.json", "qwen3.5-397b-a17b.json"})
    EXPECT_NE(std::find(files.begin(), files.end(), f), files.end()) << f;
  for (const std::string& f : files) expect_derived_from_config(load_hf_config(dir + "/" + f));
}

}  // namespace
}  // namespace sievesim
