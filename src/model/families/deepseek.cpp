// DeepSeek-V3 / V3.2 (transformers DeepseekV3ForCausalLM; V3.2 from the reference inference
// code): MLA attention, first_k_dense_replace dense layers, shared experts; V3.2 adds the DSA
// lightning indexer.
#include "model/families/common.hpp"

namespace sievesim {
namespace {

using hf::Section;

class DeepSeekFamily final : public ModelFamily {
 public:
  explicit DeepSeekFamily(bool v32) : v32_(v32) {}

  void build(const Section& cfg, const CheckpointDtypes& dt, ModelSpec& m) const override {
    // InferSim's copy renames n_routed_experts / n_shared_experts; accept both spellings.
    hf::read_routing(cfg, m, {"n_routed_experts", "num_routed_experts"}, {"num_experts_per_tok"},
                     true);
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
    if (v32_) {
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
      hf::set_expert(m, cfg.dim("moe_intermediate_size"), false, dt.experts);
      m.shared_experts = shared;
      if (shared > 0)
        m.shared_expert = ExpertShape{H, m.expert.intermediate, true, false, dt.weights};
    }
    m.num_heads = heads;
    m.num_kv_heads = cfg.dim_or("num_key_value_heads", heads);
    m.head_dim = nope + rope;
    // noaux_tc routing adds a per-expert score-correction bias to the gate.
    const bool score_bias = cfg.opt_string("topk_method").value_or("") == "noaux_tc";
    hf::finish_ffn(cfg, m, moe, m.routed_experts * H + (score_bias ? m.routed_experts : 0));
  }

 private:
  bool v32_;
};

}  // namespace

SIEVESIM_REGISTER(ModelFamilyRegistry, "deepseek_v3",
                  "DeepSeek-V3: MLA, first_k_dense_replace dense layers, shared experts",
                  [] { return std::make_unique<DeepSeekFamily>(false); })
SIEVESIM_REGISTER(ModelFamilyRegistry, "deepseek_v32",
                  "DeepSeek-V3.2: DeepSeek-V3 plus the DSA lightning indexer and its FP8 key cache",
                  [] { return std::make_unique<DeepSeekFamily>(true); })

}  // namespace sievesim
