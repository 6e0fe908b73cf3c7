// Qwen3-Next and Qwen3.5 (transformers Qwen3NextForCausalLM, Qwen3_5MoeForConditionalGeneration):
// Gated DeltaNet layers with a few gated full-attention layers, and one sigmoid-gated shared
// expert. Qwen3.5 ships as a multimodal wrapper whose text_config holds the language model.
#include "model/families/common.hpp"

namespace sievesim {
namespace {

using hf::Section;

constexpr const char* kQwen35Text = "qwen3_5_moe_text";

class QwenHybridFamily final : public ModelFamily {
 public:
  explicit QwenHybridFamily(bool wrapper) : wrapper_(wrapper) {}

  std::optional<TextModel> text_model(const Section& top) const override {
    if (!wrapper_) return std::nullopt;
    std::optional<Section> text = top.opt_object("text_config");
    if (!text) top.fail("text_config", "missing required key");
    std::string type = text->opt_string("model_type").value_or(kQwen35Text);
    if (type != kQwen35Text)
      text->fail("model_type", std::string("expected '") + kQwen35Text +
                                   "' inside a qwen3_5_moe config, got '" + type + "'");
    return TextModel{*text, type};
  }

  void build(const Section& cfg, const CheckpointDtypes& dt, ModelSpec& m) const override {
    hf::read_routing(cfg, m, {"num_experts"}, {"num_experts_per_tok"}, true);
    hf::Gqa g = hf::read_gqa(cfg, m.hidden);
    g.qk_norm = true;
    g.output_gate = cfg.boolean_or("attn_output_gate", true);
    std::int64_t interval = 0;
    if (!cfg.has("layer_types")) interval = cfg.dim("full_attention_interval");
    const auto kinds = hf::read_layer_kinds(
        cfg, m.num_layers, {"linear_attention", "full_attention"}, [&](std::int64_t i) {
          return (i + 1) % interval == 0 ? AttentionKind::kFull : AttentionKind::kLinear;
        });
    hf::apply_gqa(cfg, m, g, kinds);
    bool any_linear = false;
    for (AttentionKind k : kinds) any_linear = any_linear || k == AttentionKind::kLinear;
    if (any_linear) apply_gated_deltanet(cfg, m);
    const std::int64_t shared_width = cfg.count_or("shared_expert_intermediate_size", 0);
    if (m.routed_experts > 0)
      hf::set_expert(m, cfg.dim("moe_intermediate_size"), false, dt.experts);
    const std::int64_t gate = hf::set_qwen_shared_expert(m, shared_width, dt.weights);
    hf::finish_ffn(cfg, m, hf::qwen_moe_layers(cfg, m.num_layers, m.routed_experts > 0),
                   m.routed_experts * m.hidden + gate);
  }

 private:
  // Parameters and the fixed per-sequence state (recurrent matrix plus conv taps) of every
  // linear-attention layer.
  static void apply_gated_deltanet(const Section& cfg, ModelSpec& m) {
    const std::int64_t nk = cfg.dim("linear_num_key_heads");
    const std::int64_t dk = cfg.dim("linear_key_head_dim");
    const std::int64_t nv = cfg.dim("linear_num_value_heads");
    const std::int64_t dv = cfg.dim("linear_value_head_dim");
    const std::int64_t conv_kernel = cfg.dim("linear_conv_kernel_dim");
    if (nv % nk != 0)
      cfg.fail("linear_num_value_heads", "is not a multiple of linear_num_key_heads");
    DType ssm = DType::kFP32;
    if (cfg.has("mamba_ssm_dtype")) ssm = hf::parse_dtype(cfg, "mamba_ssm_dtype");
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

  bool wrapper_;  // qwen3_5_moe: the shapes are in text_config
};

}  // namespace

SIEVESIM_REGISTER(ModelFamilyRegistry, "qwen3_next",
                  "Qwen3-Next: Gated DeltaNet + gated full attention, shared expert",
                  [] { return std::make_unique<QwenHybridFamily>(false); })
SIEVESIM_REGISTER(ModelFamilyRegistry, "qwen3_5_moe_text",
                  "Qwen3.5 MoE language model (the text_config of qwen3_5_moe)",
                  [] { return std::make_unique<QwenHybridFamily>(false); })
SIEVESIM_REGISTER(ModelFamilyRegistry, "qwen3_5_moe",
                  "Qwen3.5 MoE multimodal wrapper: the text_config is read, the vision tower not",
                  [] { return std::make_unique<QwenHybridFamily>(true); })

}  // namespace sievesim
