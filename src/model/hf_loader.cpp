// Reads a Hugging Face config.json as published and derives the shapes, parameter counts and
// KV/state bytes the time model needs. Per-module formulas follow the transformers modeling
// files of each model_type; only what costs time or memory is modelled (no rotary tables,
// no dropout, no MTP layers, no vision tower).
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "model/json_section.hpp"
#include "model/model.hpp"

namespace sievesim {
namespace {

using json = nlohmann::json;
using hf::kMaxDim;
using hf::kMaxVocab;
using hf::Section;

constexpr const char* kSupportedTypes =
    "qwen3, qwen3_moe, qwen3_next, qwen3_5_moe, qwen3_5_moe_text, gpt_oss, deepseek_v3, "
    "deepseek_v32, mixtral";

DType parse_dtype(const Section& s, const std::string& k) {
  const std::string v = s.string(k);
  if (v == "bfloat16") return DType::kBF16;
  if (v == "float16" || v == "half") return DType::kFP16;
  if (v == "float32" || v == "float") return DType::kFP32;
  s.fail(k, "unsupported dtype '" + v + "'; supported: bfloat16, float16, float32");
}

struct Dtypes {
  DType base = DType::kBF16;     // unquantized weights, embeddings, activations, KV
  DType weights = DType::kBF16;  // attention and dense FFN
  DType experts = DType::kBF16;  // routed experts
};

// `cfg` is the text model's section, `top` the file's; wrappers keep dtype and
// quantization_config on either level.
Dtypes read_dtypes(const Section& cfg, const Section& top) {
  Dtypes d;
  bool found = false;
  for (const Section* s : {&cfg, &top}) {
    for (const char* k : {"torch_dtype", "dtype"}) {
      if (found || !s->has(k)) continue;
      d.base = parse_dtype(*s, k);
      found = true;
    }
  }
  d.weights = d.experts = d.base;
  std::optional<Section> q = cfg.opt_object("quantization_config");
  if (!q) q = top.opt_object("quantization_config");
  if (!q) return d;
  const std::string method = q->string("quant_method");
  if (method == "fp8") {
    d.weights = d.experts = DType::kFP8;
  } else if (method == "mxfp4") {
    // GPT-OSS keeps attention, router, embeddings and lm_head in BF16 (modules_to_not_convert).
    d.experts = DType::kMXFP4;
  } else {
    q->fail("quant_method", "unsupported quantization '" + method + "'; supported: fp8, mxfp4");
  }
  return d;
}

struct Gqa {
  std::int64_t heads = 0, kv_heads = 0, head_dim = 0;
  bool output_gate = false;  // Qwen3-Next/3.5: q_proj also emits a per-channel sigmoid gate
  bool bias = false;
  bool qk_norm = false;
  bool sinks = false;  // GPT-OSS: one learned softmax sink logit per head
};

Gqa read_gqa(const Section& cfg, std::int64_t hidden) {
  Gqa g;
  g.heads = cfg.dim("num_attention_heads");
  g.kv_heads = cfg.dim_or("num_key_value_heads", g.heads);
  if (g.heads % g.kv_heads != 0)
    cfg.fail("num_key_value_heads", "num_attention_heads " + std::to_string(g.heads) +
                                        " is not a multiple of " + std::to_string(g.kv_heads));
  if (cfg.has("head_dim")) {
    g.head_dim = cfg.dim("head_dim");
  } else if (hidden % g.heads == 0) {
    g.head_dim = hidden / g.heads;
  } else {
    cfg.fail("head_dim", "missing, and hidden_size is not a multiple of num_attention_heads");
  }
  g.bias = cfg.boolean_or("attention_bias", false);
  return g;
}

std::int64_t gqa_params(const Gqa& g, std::int64_t hidden) {
  const std::int64_t q_out = g.heads * g.head_dim * (g.output_gate ? 2 : 1);
  const std::int64_t kv_out = g.kv_heads * g.head_dim;
  std::int64_t n = hidden * q_out + 2 * hidden * kv_out + g.heads * g.head_dim * hidden;
  if (g.bias) n += q_out + 2 * kv_out + hidden;
  if (g.qk_norm) n += 2 * g.head_dim;
  if (g.sinks) n += g.heads;
  return n;
}

double gqa_kv_bytes(const Gqa& g, DType kv) {
  return static_cast<double>(2 * g.kv_heads * g.head_dim) * dtype_bytes(kv);
}

// layer_types when present (validated against `allowed`), else `fallback(i)` per layer.
template <class Fallback>
std::vector<AttentionKind> read_layer_kinds(const Section& cfg, std::int64_t layers,
                                            std::initializer_list<const char*> allowed,
                                            Fallback fallback) {
  std::vector<AttentionKind> kinds;
  const json* types = cfg.opt_array("layer_types");
  if (!types) {
    for (std::int64_t i = 0; i < layers; ++i) kinds.push_back(fallback(i));
    return kinds;
  }
  if (static_cast<std::int64_t>(types->size()) != layers)
    cfg.fail("layer_types", "has " + std::to_string(types->size()) +
                                " entries but num_hidden_layers is " + std::to_string(layers));
  std::string allowed_list;
  for (const char* a : allowed) allowed_list += (allowed_list.empty() ? "" : ", ") + std::string(a);
  for (std::size_t i = 0; i < types->size(); ++i) {
    const json& t = (*types)[i];
    const std::string s = t.is_string() ? t.get<std::string>() : t.dump();
    bool ok = false;
    for (const char* a : allowed) ok = ok || s == a;
    if (!ok)
      cfg.fail("layer_types",
               "entry " + std::to_string(i) + " is '" + s + "'; expected one of " + allowed_list);
    kinds.push_back(s == "full_attention"      ? AttentionKind::kFull
                    : s == "sliding_attention" ? AttentionKind::kSlidingWindow
                                               : AttentionKind::kLinear);
  }
  return kinds;
}

// Routed expert count and top-k, each under any of its HF spellings. E == 0 is a dense model.
void read_routing(const Section& cfg, ModelSpec& m, std::initializer_list<const char*> e_keys,
                  std::initializer_list<const char*> k_keys, bool required) {
  const std::string e_key = cfg.which(e_keys);
  if (e_key.empty()) {
    if (required) cfg.fail(*e_keys.begin(), "missing required key");
    return;
  }
  m.routed_experts = cfg.count_or(e_key, 0);
  if (m.routed_experts == 0) return;
  const std::string k_key = cfg.which(k_keys);
  if (k_key.empty()) cfg.fail(*k_keys.begin(), "missing required key");
  m.top_k = cfg.integer(k_key);
  if (m.top_k < 1)
    cfg.fail(k_key, "top-k must be at least 1 on an MoE model, got " + std::to_string(m.top_k));
  if (m.top_k > m.routed_experts)
    cfg.fail(k_key, "top-k " + std::to_string(m.top_k) + " exceeds the " +
                        std::to_string(m.routed_experts) + " routed experts (" + e_key + ")");
}

// Qwen MoE families: a layer is sparse unless listed in mlp_only_layers or off the
// decoder_sparse_step grid (1-based, as in transformers).
std::vector<bool> qwen_moe_layers(const Section& cfg, std::int64_t layers, bool has_experts) {
  std::vector<bool> moe(layers, false);
  if (!has_experts) return moe;
  const std::int64_t step = cfg.dim_or("decoder_sparse_step", 1);
  for (std::int64_t i = 0; i < layers; ++i) moe[i] = (i + 1) % step == 0;
  if (const json* only = cfg.opt_array("mlp_only_layers")) {
    for (const json& v : *only) {
      const std::int64_t i = cfg.as_integer("mlp_only_layers", v);
      if (i < 0 || i >= layers)
        cfg.fail("mlp_only_layers", "layer " + std::to_string(i) + " out of range");
      moe[i] = false;
    }
  }
  return moe;
}

// Sets each layer's FFN from its MoE flag; the dense width is read only if a dense layer exists.
void finish_ffn(const Section& cfg, ModelSpec& m, const std::vector<bool>& moe,
                std::int64_t router_params) {
  std::int64_t dense_width = 0;
  for (std::int64_t i = 0; i < m.num_layers; ++i) {
    LayerSpec& l = m.layers[i];
    l.moe = moe[i];
    if (l.moe) {
      l.router_params = router_params;
    } else {
      if (dense_width == 0) dense_width = cfg.dim("intermediate_size");
      l.dense_ffn_params = 3 * m.hidden * dense_width;  // SwiGLU gate, up, down
    }
  }
}

// Stores the attention kinds and, for the softmax-attention layers among them, their GQA
// parameters, KV bytes and window (read only if a sliding layer exists).
void apply_gqa(const Section& cfg, ModelSpec& m, const Gqa& g,
               const std::vector<AttentionKind>& kinds) {
  std::int64_t window = 0;
  for (std::int64_t i = 0; i < m.num_layers; ++i) {
    LayerSpec& l = m.layers[i];
    l.attention = kinds[i];
    if (l.attention == AttentionKind::kLinear) continue;
    l.attention_params = gqa_params(g, m.hidden) + 2 * m.hidden;  // + input/post-attn norms
    l.kv_bytes_per_token = gqa_kv_bytes(g, m.kv_dtype);
    l.kv_heads = g.kv_heads;
    l.queries_per_kv = g.heads / g.kv_heads;
    l.key_dim = l.value_dim = g.head_dim;
    if (l.attention == AttentionKind::kSlidingWindow) {
      if (window == 0) window = cfg.dim("sliding_window", kMaxVocab);
      l.window_tokens = window;
    }
  }
  m.num_heads = g.heads;
  m.num_kv_heads = g.kv_heads;
  m.head_dim = g.head_dim;
}

void set_expert(ModelSpec& m, std::int64_t intermediate, bool bias, DType dt) {
  m.expert = ExpertShape{m.hidden, intermediate, true, bias, dt};
}

void build_qwen3(const Section& cfg, ModelSpec& m, const Dtypes& dt, bool moe_type) {
  read_routing(cfg, m, {"num_experts"}, {"num_experts_per_tok"}, moe_type);
  Gqa g = read_gqa(cfg, m.hidden);
  g.qk_norm = true;
  // Without layer_types, transformers slides layers >= max_window_layers when enabled.
  const bool swa = cfg.boolean_or("use_sliding_window", false) && cfg.has("sliding_window");
  const std::int64_t swa_from = swa ? cfg.count_or("max_window_layers", 0) : 0;
  apply_gqa(cfg, m, g,
            read_layer_kinds(cfg, m.num_layers, {"full_attention", "sliding_attention"},
                             [&](std::int64_t i) {
                               return swa && i >= swa_from ? AttentionKind::kSlidingWindow
                                                           : AttentionKind::kFull;
                             }));
  if (m.routed_experts > 0) set_expert(m, cfg.dim("moe_intermediate_size"), false, dt.experts);
  finish_ffn(cfg, m, qwen_moe_layers(cfg, m.num_layers, m.routed_experts > 0),
             m.routed_experts * m.hidden);
}

// Qwen3-Next and Qwen3.5: Gated DeltaNet layers with a few gated full-attention layers, and
// one sigmoid-gated shared expert.
void build_qwen_hybrid(const Section& cfg, ModelSpec& m, const Dtypes& dt) {
  read_routing(cfg, m, {"num_experts"}, {"num_experts_per_tok"}, true);
  Gqa g = read_gqa(cfg, m.hidden);
  g.qk_norm = true;
  g.output_gate = cfg.boolean_or("attn_output_gate", true);
  std::int64_t interval = 0;
  if (!cfg.has("layer_types")) interval = cfg.dim("full_attention_interval");
  const auto kinds = read_layer_kinds(
      cfg, m.num_layers, {"linear_attention", "full_attention"}, [&](std::int64_t i) {
        return (i + 1) % interval == 0 ? AttentionKind::kFull : AttentionKind::kLinear;
      });
  apply_gqa(cfg, m, g, kinds);
  bool any_linear = false;
  for (AttentionKind k : kinds) any_linear = any_linear || k == AttentionKind::kLinear;
  if (any_linear) {
    const std::int64_t nk = cfg.dim("linear_num_key_heads");
    const std::int64_t dk = cfg.dim("linear_key_head_dim");
    const std::int64_t nv = cfg.dim("linear_num_value_heads");
    const std::int64_t dv = cfg.dim("linear_value_head_dim");
    const std::int64_t conv_kernel = cfg.dim("linear_conv_kernel_dim");
    if (nv % nk != 0)
      cfg.fail("linear_num_value_heads", "is not a multiple of linear_num_key_heads");
    DType ssm = DType::kFP32;
    if (cfg.has("mamba_ssm_dtype")) ssm = parse_dtype(cfg, "mamba_ssm_dtype");
    const std::int64_t key_dim = nk * dk, value_dim = nv * dv;
    const std::int64_t conv_dim = 2 * key_dim + value_dim;  // q, k, v go through the conv
    const std::int64_t params = m.hidden * (2 * key_dim + 2 * value_dim)  // qkvz
                                + m.hidden * 2 * nv                       // b, a
                                + conv_dim * conv_kernel                  // depthwise conv1d
                                + 2 * nv                                  // A_log, dt_bias
                                + dv                                      // gated RMSNorm
                                + value_dim * m.hidden                    // out_proj
                                + 2 * m.hidden;                           // layer norms
    const double state =
        static_cast<double>(nv * dk * dv) * dtype_bytes(ssm) +
        static_cast<double>(conv_dim * (conv_kernel - 1)) * dtype_bytes(m.activation_dtype);
    for (LayerSpec& l : m.layers) {
      if (l.attention != AttentionKind::kLinear) continue;
      l.attention_params = params;
      l.state_bytes_per_sequence = state;
    }
  }
  const std::int64_t shared_width = cfg.count_or("shared_expert_intermediate_size", 0);
  if (m.routed_experts > 0) set_expert(m, cfg.dim("moe_intermediate_size"), false, dt.experts);
  if (shared_width > 0) {
    m.shared_experts = 1;
    m.shared_expert = ExpertShape{m.hidden, shared_width, true, false, dt.weights};
  }
  // The shared expert's output is scaled by sigmoid(shared_expert_gate(x)), an H x 1 linear.
  const std::int64_t router = m.routed_experts * m.hidden + (shared_width > 0 ? m.hidden : 0);
  finish_ffn(cfg, m, qwen_moe_layers(cfg, m.num_layers, m.routed_experts > 0), router);
}

void build_gpt_oss(const Section& cfg, ModelSpec& m, const Dtypes& dt) {
  read_routing(cfg, m, {"num_local_experts", "num_experts"},
               {"num_experts_per_tok", "experts_per_token"}, true);
  Gqa g = read_gqa(cfg, m.hidden);
  g.bias = cfg.boolean_or("attention_bias", true);
  g.sinks = true;
  apply_gqa(cfg, m, g,
            read_layer_kinds(
                cfg, m.num_layers, {"sliding_attention", "full_attention"}, [](std::int64_t i) {
                  return i % 2 == 0 ? AttentionKind::kSlidingWindow : AttentionKind::kFull;
                }));
  if (m.routed_experts > 0) set_expert(m, cfg.dim("intermediate_size"), true, dt.experts);
  // Every layer is MoE; the router is a linear layer with bias.
  finish_ffn(cfg, m, std::vector<bool>(m.num_layers, m.routed_experts > 0),
             m.routed_experts * m.hidden + m.routed_experts);
}

void build_mixtral(const Section& cfg, ModelSpec& m, const Dtypes& dt) {
  read_routing(cfg, m, {"num_local_experts"}, {"num_experts_per_tok"}, true);
  // A non-null sliding_window makes every layer sliding (Mistral-style SWA).
  const bool swa = cfg.has("sliding_window");
  apply_gqa(cfg, m, read_gqa(cfg, m.hidden),
            read_layer_kinds(cfg, m.num_layers, {"full_attention", "sliding_attention"},
                             [&](std::int64_t) {
                               return swa ? AttentionKind::kSlidingWindow : AttentionKind::kFull;
                             }));
  if (m.routed_experts > 0) set_expert(m, cfg.dim("intermediate_size"), false, dt.experts);
  finish_ffn(cfg, m, std::vector<bool>(m.num_layers, m.routed_experts > 0),
             m.routed_experts * m.hidden);
}

// DeepSeek-V3 / V3.2: MLA attention, first_k_dense_replace dense layers, shared experts.
void build_deepseek(const Section& cfg, ModelSpec& m, const Dtypes& dt, bool v32) {
  // InferSim's copy renames n_routed_experts / n_shared_experts; accept both spellings.
  read_routing(cfg, m, {"n_routed_experts", "num_routed_experts"}, {"num_experts_per_tok"}, true);
  const std::string shared_key = cfg.which({"n_shared_experts", "num_shared_experts"});
  const std::int64_t shared = shared_key.empty() ? 0 : cfg.count_or(shared_key, 0);
  const std::int64_t H = m.hidden;
  const std::int64_t heads = cfg.dim("num_attention_heads");
  const std::int64_t kv_lora = cfg.dim("kv_lora_rank");
  const std::int64_t nope = cfg.dim("qk_nope_head_dim");
  const std::int64_t rope = cfg.dim("qk_rope_head_dim");
  const std::int64_t v_dim = cfg.dim("v_head_dim");
  // null or 0 means no query compression (DeepSeek-V2-Lite): one H x heads*(nope+rope) q_proj.
  const std::int64_t q_lora = cfg.has("q_lora_rank") ? cfg.count_or("q_lora_rank", 0) : 0;
  const std::int64_t q_width = heads * (nope + rope);
  std::int64_t attn = q_lora > 0 ? H * q_lora + q_lora + q_lora * q_width : H * q_width;
  attn += H * (kv_lora + rope) + kv_lora      // kv_a_proj_with_mqa, kv_a_layernorm
          + kv_lora * heads * (nope + v_dim)  // kv_b_proj
          + heads * v_dim * H                 // o_proj
          + 2 * H;                            // layer norms
  if (cfg.boolean_or("attention_bias", false))
    attn += (q_lora > 0 ? q_lora : q_width) + (kv_lora + rope) + H;
  // The cache holds the compressed latent plus the shared rotary key, not per-head K/V.
  double kv_bytes = static_cast<double>(kv_lora + rope) * dtype_bytes(m.kv_dtype);
  if (v32) {
    // DSA lightning indexer (wq_b, wk, LayerNorm k_norm, weights_proj). Its key cache is FP8
    // with one fp32 scale per 128-element block, as in the reference inference code.
    if (q_lora == 0) cfg.fail("q_lora_rank", "deepseek_v32's indexer needs a q_lora_rank");
    const std::int64_t ih = cfg.dim("index_n_heads");
    const std::int64_t ihd = cfg.dim("index_head_dim");
    attn += q_lora * ih * ihd + H * ihd + 2 * ihd + H * ih;
    kv_bytes += static_cast<double>(ihd) * dtype_bytes(DType::kFP8) +
                static_cast<double>((ihd + 127) / 128) * 4.0;
  }
  for (LayerSpec& l : m.layers) {
    l.attention = AttentionKind::kMla;
    l.attention_params = attn;
    l.kv_bytes_per_token = kv_bytes;
    // Absorbed MLA decode: every head's query meets the one latent (keys kv_lora + rope wide,
    // values kv_lora wide).
    l.kv_heads = 1;
    l.queries_per_kv = heads;
    l.key_dim = kv_lora + rope;
    l.value_dim = kv_lora;
  }
  const std::int64_t first_dense = cfg.count_or("first_k_dense_replace", 0);
  const std::int64_t freq = cfg.dim_or("moe_layer_freq", 1);
  std::vector<bool> moe(m.num_layers);
  for (std::int64_t i = 0; i < m.num_layers; ++i)
    moe[i] = m.routed_experts > 0 && i >= first_dense && i % freq == 0;
  if (m.routed_experts > 0) {
    set_expert(m, cfg.dim("moe_intermediate_size"), false, dt.experts);
    m.shared_experts = shared;
    if (shared > 0)
      m.shared_expert = ExpertShape{H, m.expert.intermediate, true, false, dt.weights};
  }
  m.num_heads = heads;
  m.num_kv_heads = cfg.dim_or("num_key_value_heads", heads);
  m.head_dim = nope + rope;
  // noaux_tc routing adds a per-expert score-correction bias to the gate.
  const bool score_bias = cfg.opt_string("topk_method").value_or("") == "noaux_tc";
  finish_ffn(cfg, m, moe, m.routed_experts * H + (score_bias ? m.routed_experts : 0));
}

std::string display_name(const std::string& path) {
  const std::filesystem::path p(path);
  std::string file = p.filename().string();
  for (const std::string suffix : {"_config.json", ".json"}) {
    if (file.size() > suffix.size() && file.ends_with(suffix)) {
      file.resize(file.size() - suffix.size());
      break;
    }
  }
  // A bare config.json (an HF snapshot directory) is better known by its directory.
  if (file == "config" && p.has_parent_path() && !p.parent_path().filename().empty())
    return p.parent_path().filename().string();
  return file;
}

}  // namespace

ModelSpec parse_hf_config(const std::string& json_text, const std::string& path) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw InputError(path, "", std::string("malformed JSON: ") + e.what());
  }
  if (!root.is_object()) throw InputError(path, "", "expected a JSON object at top level");
  const Section top(root, path, "");
  std::string type = top.string("model_type");
  std::optional<Section> text;
  if (type == "qwen3_5_moe") {
    text = top.opt_object("text_config");
    if (!text) top.fail("text_config", "missing required key");
    type = text->opt_string("model_type").value_or("qwen3_5_moe_text");
    if (type != "qwen3_5_moe_text")
      text->fail("model_type",
                 "expected 'qwen3_5_moe_text' inside a qwen3_5_moe config, got '" + type + "'");
  }
  const Section& cfg = text ? *text : top;

  ModelSpec m;
  m.name = display_name(path);
  m.model_type = type;
  m.source_path = path;
  m.config_json = json_text;
  m.hidden = cfg.dim("hidden_size");
  m.num_layers = cfg.dim("num_hidden_layers");
  m.vocab = cfg.dim("vocab_size", kMaxVocab);
  m.tie_word_embeddings = cfg.has("tie_word_embeddings")
                              ? cfg.boolean_or("tie_word_embeddings", false)
                              : top.boolean_or("tie_word_embeddings", false);
  const Dtypes dt = read_dtypes(cfg, top);
  m.weight_dtype = dt.weights;
  m.activation_dtype = dt.base;
  m.kv_dtype = dt.base;
  m.expert = ExpertShape{m.hidden, 0, true, false, dt.experts};
  m.shared_expert = ExpertShape{m.hidden, 0, true, false, dt.weights};
  m.layers.assign(m.num_layers, LayerSpec{});

  if (type == "qwen3") {
    build_qwen3(cfg, m, dt, false);
  } else if (type == "qwen3_moe") {
    build_qwen3(cfg, m, dt, true);
  } else if (type == "qwen3_next" || type == "qwen3_5_moe_text") {
    build_qwen_hybrid(cfg, m, dt);
  } else if (type == "gpt_oss") {
    build_gpt_oss(cfg, m, dt);
  } else if (type == "mixtral") {
    build_mixtral(cfg, m, dt);
  } else if (type == "deepseek_v3" || type == "deepseek_v32") {
    build_deepseek(cfg, m, dt, type == "deepseek_v32");
  } else {
    cfg.fail("model_type", "unsupported model type '" + type + "'; supported: " + kSupportedTypes);
  }

  // Every field is capped, but the layer count times a large layer can still exceed int64;
  // check the total in floating point before ModelSpec sums it in integers.
  double total = 2.0 * static_cast<double>(m.vocab * m.hidden);
  for (const LayerSpec& l : m.layers)
    total += static_cast<double>(l.attention_params) + static_cast<double>(l.dense_ffn_params) +
             static_cast<double>(l.router_params) +
             static_cast<double>(m.routed_experts) * static_cast<double>(m.expert.params()) +
             static_cast<double>(m.shared_experts) * static_cast<double>(m.shared_expert.params());
  if (total > 1e18) throw InputError(path, "", "implausibly large model (parameter overflow)");
  return m;
}

ModelSpec load_hf_config(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path, "", "is a directory; expected a config.json file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open model config");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(path, "", "cannot read model config");
  return parse_hf_config(text.str(), path);
}

}  // namespace sievesim
