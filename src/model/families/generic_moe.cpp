// The family for a model_type none registers (OLMoE, Qwen2-MoE, ...): GQA attention and routed
// SwiGLU experts read from the fields most MoE configs share. What an architecture adds beyond
// them and does not spell in those fields (q/k norms, hard-wired q/k/v biases, a sliding window
// without layer_types) is left out: a few parameters per million, and no cache or FLOPs that
// matter to the time model.
#include <string>

#include "model/families/common.hpp"

namespace sievesim {
namespace {

using hf::Section;

std::string registered_families() {
  std::string out;
  for (const std::string& name : ModelFamilyRegistry::instance().names())
    out += (out.empty() ? "" : ", ") + name;
  return out;
}

class GenericMoeFamily final : public ModelFamily {
 public:
  void build(const Section& cfg, const CheckpointDtypes& dt, ModelSpec& m) const override {
    const std::string e_key = cfg.which({"num_local_experts", "num_experts"});
    if (e_key.empty())
      cfg.fail("num_local_experts",
               "missing required key (nor is num_experts present): model_type '" + m.model_type +
                   "' has no family of its own (" + registered_families() +
                   "), and the generic MoE family needs the routed expert count");
    hf::read_routing(cfg, m, {"num_local_experts", "num_experts"}, {"num_experts_per_tok"}, true);
    if (m.routed_experts == 0)
      cfg.fail(e_key, "is 0, but the generic MoE family reads mixture-of-experts models only");

    hf::apply_gqa(cfg, m, hf::read_gqa(cfg, m.hidden),
                  hf::read_layer_kinds(cfg, m.num_layers, {"full_attention", "sliding_attention"},
                                       [](std::int64_t) { return AttentionKind::kFull; }));

    // OLMoE and Mixtral give the expert width as intermediate_size; configs that also have
    // dense layers (Qwen2-MoE) keep that name for those and say moe_intermediate_size.
    if (!cfg.has("moe_intermediate_size") && !cfg.has("intermediate_size"))
      cfg.fail("moe_intermediate_size",
               "missing required key (nor is intermediate_size present): the expert width");
    const std::int64_t width = cfg.has("moe_intermediate_size") ? cfg.dim("moe_intermediate_size")
                                                                : cfg.dim("intermediate_size");
    hf::set_expert(m, width, false, dt.experts);
    const std::int64_t gate = hf::set_qwen_shared_expert(
        m, cfg.count_or("shared_expert_intermediate_size", 0), dt.weights);
    hf::finish_ffn(cfg, m, hf::qwen_moe_layers(cfg, m.num_layers, true),
                   m.routed_experts * m.hidden + gate);
  }
};

}  // namespace

std::unique_ptr<ModelFamily> make_generic_moe_family() {
  return std::make_unique<GenericMoeFamily>();
}

}  // namespace sievesim
