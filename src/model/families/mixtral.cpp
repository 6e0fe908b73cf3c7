// Mixtral (transformers MixtralForCausalLM): plain GQA, every layer MoE, no shared expert.
#include "model/families/common.hpp"

namespace sievesim {
namespace {

using hf::Section;

class MixtralFamily final : public ModelFamily {
 public:
  void build(const Section& cfg, const CheckpointDtypes& dt, ModelSpec& m) const override {
    hf::read_routing(cfg, m, {"num_local_experts"}, {"num_experts_per_tok"}, true);
    // A non-null sliding_window makes every layer sliding (Mistral-style SWA).
    const bool swa = cfg.has("sliding_window");
    hf::apply_gqa(cfg, m, hf::read_gqa(cfg, m.hidden),
                  hf::read_layer_kinds(cfg, m.num_layers, {"full_attention", "sliding_attention"},
                                       [&](std::int64_t) {
                                         return swa ? AttentionKind::kSlidingWindow
                                                    : AttentionKind::kFull;
                                       }));
    if (m.routed_experts > 0) hf::set_expert(m, cfg.dim("intermediate_size"), false, dt.experts);
    hf::finish_ffn(cfg, m, std::vector<bool>(m.num_layers, m.routed_experts > 0),
                   m.routed_experts * m.hidden);
  }
};

}  // namespace

SIEVESIM_REGISTER(ModelFamilyRegistry, "mixtral",
                  "Mixtral: GQA (sliding when sliding_window is set), every layer MoE",
                  [] { return std::make_unique<MixtralFamily>(); })

}  // namespace sievesim
