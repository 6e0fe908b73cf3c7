#pragma once
// The pieces model families share: dtypes, GQA attention, layer kinds, routing, which layers
// are MoE, and the per-layer FFN. Formulas follow the transformers modeling files.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "model/json_section.hpp"
#include "model/model.hpp"
#include "model/model_family.hpp"

namespace sievesim::hf {

DType parse_dtype(const Section& s, const std::string& k);

// `cfg` is the text model's section, `top` the file's; wrappers keep dtype and
// quantization_config on either level.
CheckpointDtypes read_dtypes(const Section& cfg, const Section& top);

struct Gqa {
  std::int64_t heads = 0, kv_heads = 0, head_dim = 0;
  bool output_gate = false;  // Qwen3-Next/3.5: q_proj also emits a per-channel sigmoid gate
  bool bias = false;
  bool qk_norm = false;
  bool sinks = false;  // GPT-OSS: one learned softmax sink logit per head
};

Gqa read_gqa(const Section& cfg, std::int64_t hidden);

// layer_types when present (validated against `allowed`), else `fallback(i)` per layer.
std::vector<AttentionKind> read_layer_kinds(
    const Section& cfg, std::int64_t layers, std::initializer_list<const char*> allowed,
    const std::function<AttentionKind(std::int64_t)>& fallback);

// Routed expert count and top-k, each under any of its HF spellings. E == 0 is a dense model.
void read_routing(const Section& cfg, ModelSpec& m, std::initializer_list<const char*> e_keys,
                  std::initializer_list<const char*> k_keys, bool required);

// Qwen MoE families: a layer is sparse unless listed in mlp_only_layers or off the
// decoder_sparse_step grid (1-based, as in transformers).
std::vector<bool> qwen_moe_layers(const Section& cfg, std::int64_t layers, bool has_experts);

// Sets each layer's FFN from its MoE flag; the dense width is read only if a dense layer exists.
void finish_ffn(const Section& cfg, ModelSpec& m, const std::vector<bool>& moe,
                std::int64_t router_params);

// Stores the attention kinds and, for the softmax-attention layers among them, their GQA
// parameters, KV bytes and window (read only if a sliding layer exists).
void apply_gqa(const Section& cfg, ModelSpec& m, const Gqa& g,
               const std::vector<AttentionKind>& kinds);

// One routed expert: gated (SwiGLU), `intermediate` wide.
void set_expert(ModelSpec& m, std::int64_t intermediate, bool bias, DType dt);

// Qwen's one shared expert, `width` wide (0: none). Its output is scaled by
// sigmoid(shared_expert_gate(x)), an H x 1 linear; returns that gate's params for the router.
std::int64_t set_qwen_shared_expert(ModelSpec& m, std::int64_t width, DType dt);

}  // namespace sievesim::hf
