#include "model/model.hpp"

#include <algorithm>

#include "base/error.hpp"

namespace sievesim {
namespace {

// Quantized checkpoints keep their biases in 16 bits (GPT-OSS: MXFP4 experts, BF16 biases);
// only the weight matrices carry the packed format.
double bias_bytes(DType weight_dtype) {
  switch (weight_dtype) {
    case DType::kFP8:
    case DType::kMXFP4:
      return dtype_bytes(DType::kBF16);
    default:
      return dtype_bytes(weight_dtype);
  }
}

std::int64_t expert_weight_count(const ExpertShape& e) {
  return (e.gated ? 3 : 2) * e.hidden * e.intermediate;
}

std::int64_t expert_bias_count(const ExpertShape& e) {
  if (!e.bias) return 0;
  // gate+up (or up) biases have the intermediate width, the down bias the hidden width.
  return (e.gated ? 2 : 1) * e.intermediate + e.hidden;
}

}  // namespace

double dtype_bytes(DType t) {
  switch (t) {
    case DType::kFP32:
      return 4.0;
    case DType::kBF16:
    case DType::kFP16:
      return 2.0;
    case DType::kFP8:
      return 1.0;
    case DType::kMXFP4:
      return 4.25 / 8.0;
  }
  throw SimulationError("dtype_bytes: unknown DType");
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kFP32:
      return "fp32";
    case DType::kBF16:
      return "bf16";
    case DType::kFP16:
      return "fp16";
    case DType::kFP8:
      return "fp8";
    case DType::kMXFP4:
      return "mxfp4";
  }
  throw SimulationError("dtype_name: unknown DType");
}

std::optional<DType> dtype_from_name(const std::string& name) {
  for (DType t : {DType::kFP32, DType::kBF16, DType::kFP16, DType::kFP8, DType::kMXFP4})
    if (name == dtype_name(t)) return t;
  return std::nullopt;
}

void set_weight_dtype(ModelSpec& m, DType w) {
  m.weight_dtype = w;
  m.expert.weight_dtype = w;
  m.shared_expert.weight_dtype = w;
}

const char* attention_kind_name(AttentionKind k) {
  switch (k) {
    case AttentionKind::kFull:
      return "full";
    case AttentionKind::kSlidingWindow:
      return "sliding_window";
    case AttentionKind::kLinear:
      return "linear";
    case AttentionKind::kMla:
      return "mla";
  }
  throw SimulationError("attention_kind_name: unknown AttentionKind");
}

std::int64_t ExpertShape::params() const {
  return expert_weight_count(*this) + expert_bias_count(*this);
}

double ExpertShape::weight_bytes() const {
  return static_cast<double>(expert_weight_count(*this)) * dtype_bytes(weight_dtype) +
         static_cast<double>(expert_bias_count(*this)) * bias_bytes(weight_dtype);
}

std::vector<ExpertShape::Matrix> ExpertShape::matrices() const {
  const std::int64_t up_cols = gated ? 2 * intermediate : intermediate;
  return {Matrix{hidden, up_cols}, Matrix{intermediate, hidden}};
}

std::int64_t ModelSpec::num_moe_layers() const {
  std::int64_t n = 0;
  for (const LayerSpec& l : layers) n += l.moe ? 1 : 0;
  return n;
}

std::int64_t ModelSpec::embedding_params() const {
  return vocab * hidden;
}

std::int64_t ModelSpec::lm_head_params() const {
  return tie_word_embeddings ? 0 : vocab * hidden;
}

std::int64_t ModelSpec::total_params() const {
  const std::int64_t final_norm = hidden;
  std::int64_t n = embedding_params() + lm_head_params() + final_norm;
  const std::int64_t moe_block =
      routed_experts * expert.params() + shared_experts * shared_expert.params();
  for (const LayerSpec& l : layers)
    n += l.attention_params + (l.moe ? l.router_params + moe_block : l.dense_ffn_params);
  return n;
}

std::int64_t ModelSpec::active_params() const {
  const std::int64_t final_norm = hidden;
  std::int64_t n = lm_head_params() + final_norm;
  const std::int64_t moe_block = top_k * expert.params() + shared_experts * shared_expert.params();
  for (const LayerSpec& l : layers)
    n += l.attention_params + (l.moe ? l.router_params + moe_block : l.dense_ffn_params);
  return n;
}

std::int64_t ModelSpec::active_params_with_embedding() const {
  return active_params() + embedding_params();
}

double ModelSpec::token_bytes() const {
  return static_cast<double>(hidden) * dtype_bytes(activation_dtype);
}

double ModelSpec::kv_bytes_per_token() const {
  double b = 0;
  for (const LayerSpec& l : layers) b += l.kv_bytes_per_token;
  return b;
}

double ModelSpec::sequence_kv_bytes(std::int64_t tokens) const {
  double b = 0;
  for (const LayerSpec& l : layers) {
    const auto cached = l.attention == AttentionKind::kSlidingWindow
                            ? std::min<std::int64_t>(tokens, l.window_tokens)
                            : tokens;
    b += static_cast<double>(cached) * l.kv_bytes_per_token + l.state_bytes_per_sequence;
  }
  return b;
}

double ModelSpec::routed_expert_bytes_total() const {
  return static_cast<double>(num_moe_layers() * routed_experts) * expert.weight_bytes();
}

double ModelSpec::non_expert_weight_bytes() const {
  // Embeddings, lm_head, router and norms stay in the unquantized base dtype (FP8 and MXFP4
  // checkpoints exclude them from conversion); that dtype is also the activation dtype. The
  // per-layer norms inside attention_params are billed at weight_dtype: a rounding error.
  const double base_bytes = dtype_bytes(activation_dtype);
  const double w_bytes = dtype_bytes(weight_dtype);
  double b = static_cast<double>(embedding_params() + lm_head_params() + hidden) * base_bytes;
  for (const LayerSpec& l : layers) {
    b += static_cast<double>(l.attention_params) * w_bytes;
    if (l.moe) {
      b += static_cast<double>(l.router_params) * base_bytes;
      b += static_cast<double>(shared_experts) * shared_expert.weight_bytes();
    } else {
      b += static_cast<double>(l.dense_ffn_params) * w_bytes;
    }
  }
  return b;
}

}  // namespace sievesim
