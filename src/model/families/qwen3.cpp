// Qwen3 dense and Qwen3-MoE (transformers Qwen3ForCausalLM, Qwen3MoeForCausalLM): GQA with
// per-head q/k RMSNorm, optional sliding window from max_window_layers on.
#include "model/families/common.hpp"

namespace sievesim {
namespace {

using hf::Section;

class Qwen3Family final : public ModelFamily {
 public:
  explicit Qwen3Family(bool moe_type) : moe_type_(moe_type) {}

  void build(const Section& cfg, const CheckpointDtypes& dt, ModelSpec& m) const override {
    hf::read_routing(cfg, m, {"num_experts"}, {"num_experts_per_tok"}, moe_type_);
    hf::Gqa g = hf::read_gqa(cfg, m.hidden);
    g.qk_norm = true;
    // Without layer_types, transformers slides layers >= max_window_layers when enabled.
    const bool swa = cfg.boolean_or("use_sliding_window", false) && cfg.has("sliding_window");
    const std::int64_t swa_from = swa ? cfg.count_or("max_window_layers", 0) : 0;
    hf::apply_gqa(cfg, m, g,
                  hf::read_layer_kinds(cfg, m.num_layers, {"full_attention", "sliding_attention"},
                                       [&](std::int64_t i) {
                                         return swa && i >= swa_from ? AttentionKind::kSlidingWindow
                                                                     : AttentionKind::kFull;
                                       }));
    if (m.routed_experts > 0)
      hf::set_expert(m, cfg.dim("moe_intermediate_size"), false, dt.experts);
    hf::finish_ffn(cfg, m, hf::qwen_moe_layers(cfg, m.num_layers, m.routed_experts > 0),
                   m.routed_experts * m.hidden);
  }

 private:
  // qwen3_moe must name its experts; a qwen3 config may still carry some.
  bool moe_type_;
};

}  // namespace

SIEVESIM_REGISTER(ModelFamilyRegistry, "qwen3", "Qwen3 dense: GQA with q/k norm, SwiGLU FFN",
                  [] { return std::make_unique<Qwen3Family>(false); })
SIEVESIM_REGISTER(ModelFamilyRegistry, "qwen3_moe",
                  "Qwen3-MoE: GQA with q/k norm, routed SwiGLU experts, no shared expert",
                  [] { return std::make_unique<Qwen3Family>(true); })

}  // namespace sievesim
