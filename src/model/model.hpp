#pragma once
// The MoE model as the time model sees it: shapes, dtypes, per-layer attention kind, KV bytes.
// Built from a Hugging Face config.json as published (see hf_loader.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sievesim {

enum class DType { kFP32, kBF16, kFP16, kFP8, kMXFP4 };
// Bytes per element; MXFP4 is 4 bits plus one 8-bit scale per 32 weights = 4.25 bits.
double dtype_bytes(DType t);
const char* dtype_name(DType t);

enum class AttentionKind {
  kFull,           // softmax attention over the whole context (GQA/MHA)
  kSlidingWindow,  // softmax attention over the last `window` tokens
  kLinear,         // linear attention / Gated DeltaNet: fixed recurrent state per sequence
  kMla,            // DeepSeek multi-head latent attention: compressed latent KV cache
};
const char* attention_kind_name(AttentionKind k);

// One routed (or shared) expert: a gated (SwiGLU, 3 matrices) or plain (2 matrices) FFN.
struct ExpertShape {
  std::int64_t hidden = 0;        // H
  std::int64_t intermediate = 0;  // I
  bool gated = true;              // gate+up+down (3 x H x I) or up+down (2 x H x I)
  bool bias = false;              // GPT-OSS experts carry biases
  DType weight_dtype = DType::kBF16;

  std::int64_t params() const;  // weights + biases
  double weight_bytes() const;  // params() x dtype bytes (MXFP4 scales included)
  // The matrices a GEMV pass walks: gate and up fused as one [H x (2I)] matrix, then down
  // [I x H]. Rows are the input length, cols the output length.
  struct Matrix {
    std::int64_t rows, cols;
  };
  std::vector<Matrix> matrices() const;
};

struct LayerSpec {
  AttentionKind attention = AttentionKind::kFull;
  bool moe = true;                      // FFN is an MoE block (else dense FFN)
  std::int64_t window_tokens = 0;       // sliding window length (kSlidingWindow only)
  double kv_bytes_per_token = 0;        // KV (or latent) cache bytes per token of context
  double state_bytes_per_sequence = 0;  // fixed recurrent state (kLinear only)
  // The shape decode attention runs as GEMVs: per sequence `kv_heads` caches, each read by
  // `queries_per_kv` query vectors (a GQA group; all heads for MLA's shared latent), with keys
  // of `key_dim` and values of `value_dim` elements (0 for linear attention).
  std::int64_t kv_heads = 0, queries_per_kv = 0, key_dim = 0, value_dim = 0;
  std::int64_t attention_params = 0;  // projections, norms, biases, sinks, conv of this layer
  std::int64_t dense_ffn_params = 0;  // dense FFN params (moe == false only)
  std::int64_t router_params = 0;     // router (and shared-expert gate) params (moe only)
};

struct ModelSpec {
  std::string name;        // file stem, for display
  std::string model_type;  // HF model_type (of the text model for multimodal wrappers)
  std::string source_path;
  std::string config_json;  // the file's text, verbatim, stored in every result file

  std::int64_t hidden = 0;
  std::int64_t num_layers = 0;
  std::int64_t vocab = 0;
  bool tie_word_embeddings = false;

  std::int64_t num_heads = 0;
  std::int64_t num_kv_heads = 0;
  std::int64_t head_dim = 0;

  std::int64_t routed_experts = 0;  // E (0 for a dense model)
  std::int64_t top_k = 0;
  std::int64_t shared_experts = 0;
  ExpertShape expert;         // one routed expert
  ExpertShape shared_expert;  // one shared expert (intermediate 0 when none)

  DType weight_dtype = DType::kBF16;      // attention / dense weights
  DType activation_dtype = DType::kBF16;  // hidden states on the wire and in GEMMs
  DType kv_dtype = DType::kBF16;

  std::vector<LayerSpec> layers;

  // --- derived figures ---
  std::int64_t num_moe_layers() const;
  std::int64_t embedding_params() const;  // input embedding table
  std::int64_t lm_head_params() const;    // 0 when tied to the embedding
  std::int64_t total_params() const;
  // Parameters a token touches, excluding the input embedding table (a token reads one row of
  // it): OpenAI's convention for GPT-OSS' "5.1B active".
  std::int64_t active_params() const;
  // The same plus the whole input embedding table: the convention of the Qwen and DeepSeek cards.
  std::int64_t active_params_with_embedding() const;
  // Bytes of one token's hidden vector in activation dtype (what dispatch/combine move).
  double token_bytes() const;
  // KV/latent bytes per token summed over layers (sliding layers counted in full).
  double kv_bytes_per_token() const;
  // HBM one sequence of `tokens` tokens holds over all layers: full caches grow with it,
  // sliding-window caches stop at the window, linear-attention layers keep a fixed state.
  double sequence_kv_bytes(std::int64_t tokens) const;
  double routed_expert_bytes_total() const;
  double non_expert_weight_bytes()
      const;  // attention, dense FFN, shared experts, router, embeddings
};

// The dtype named `name` (fp32, bf16, fp16, fp8, mxfp4), or nullopt.
std::optional<DType> dtype_from_name(const std::string& name);
// Stores every weight (attention, dense FFN, routed and shared experts) in `w`, as a deployment
// that re-quantizes (or de-quantizes) a checkpoint would; activations and KV keep theirs.
void set_weight_dtype(ModelSpec& m, DType w);

// Reads a Hugging Face config.json. Throws InputError naming the file and the key on anything
// missing, mistyped or unsupported.
ModelSpec load_hf_config(const std::string& path);
// Same, from text (path used in messages and as `source_path`).
ModelSpec parse_hf_config(const std::string& json_text, const std::string& path);

}  // namespace sievesim
