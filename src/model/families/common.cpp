#include "model/families/common.hpp"

#include <optional>

#include <nlohmann/json.hpp>

namespace sievesim::hf {
namespace {

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

}  // namespace

DType parse_dtype(const Section& s, const std::string& k) {
  const std::string v = s.string(k);
  if (v == "bfloat16") return DType::kBF16;
  if (v == "float16" || v == "half") return DType::kFP16;
  if (v == "float32" || v == "float") return DType::kFP32;
  s.fail(k, "unsupported dtype '" + v + "'; supported: bfloat16, float16, float32");
}

CheckpointDtypes read_dtypes(const Section& cfg, const Section& top) {
  CheckpointDtypes d;
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

std::vector<AttentionKind> read_layer_kinds(
    const Section& cfg, std::int64_t layers, std::initializer_list<const char*> allowed,
    const std::function<AttentionKind(std::int64_t)>& fallback) {
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

std::int64_t set_qwen_shared_expert(ModelSpec& m, std::int64_t width, DType dt) {
  if (width == 0) return 0;
  m.shared_experts = 1;
  m.shared_expert = ExpertShape{m.hidden, width, true, false, dt};
  return m.hidden;
}

}  // namespace sievesim::hf
