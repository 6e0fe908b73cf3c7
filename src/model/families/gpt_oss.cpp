// GPT-OSS (transformers GptOssForCausalLM): alternating sliding/full GQA with biases and
// per-head attention sinks; every layer MoE with biased experts and a biased router.
#include "model/families/common.hpp"

namespace sievesim {
namespace {

using hf::Section;

class GptOssFamily final : public ModelFamily {
 public:
  void build(const Section& cfg, const CheckpointDtypes& dt, ModelSpec& m) const override {
    hf::read_routing(cfg, m, {"num_local_experts", "num_experts"},
                     {"num_experts_per_tok", "experts_per_token"}, true);
    hf::Gqa g = hf::read_gqa(cfg, m.hidden);
    g.bias = cfg.boolean_or("attention_bias", true);
    g.sinks = true;
    hf::apply_gqa(cfg, m, g,
                  hf::read_layer_kinds(cfg, m.num_layers, {"sliding_attention", "full_attention"},
                                       [](std::int64_t i) {
                                         return i % 2 == 0 ? AttentionKind::kSlidingWindow
                                                           : AttentionKind::kFull;
                                       }));
    if (m.routed_experts > 0) hf::set_expert(m, cfg.dim("intermediate_size"), true, dt.experts);
    // Every layer is MoE; the router is a linear layer with bias.
    hf::finish_ffn(cfg, m, std::vector<bool>(m.num_layers, m.routed_experts > 0),
                   m.routed_experts * m.hidden + m.routed_experts);
  }
};

}  // namespace

SIEVESIM_REGISTER(ModelFamilyRegistry, "gpt_oss",
                  "GPT-OSS: alternating sliding/full GQA with sinks, biased MXFP4 experts",
                  [] { return std::make_unique<GptOssFamily>(); })

}  // namespace sievesim
