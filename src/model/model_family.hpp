#pragma once
// A model family reads the config.json of one Hugging Face model_type into ModelSpec's per-layer
// shapes. Each family lives in its own file under families/ and registers itself with
// SIEVESIM_REGISTER under every model_type it reads, so supporting a new architecture is adding
// one file. A model_type no family registers is read by the generic MoE family.
#include <memory>
#include <optional>
#include <string>

#include "base/registry.hpp"
#include "model/json_section.hpp"
#include "model/model.hpp"

namespace sievesim {

// What a checkpoint stores, from torch_dtype/dtype and quantization_config.
struct CheckpointDtypes {
  DType base = DType::kBF16;     // unquantized weights, embeddings, activations, KV
  DType weights = DType::kBF16;  // attention and dense FFN
  DType experts = DType::kBF16;  // routed experts
};

class ModelFamily {
 public:
  virtual ~ModelFamily() = default;

  // A multimodal wrapper keeps its text model in a sub-object; the shapes are read from there
  // and ModelSpec records the text model's model_type.
  struct TextModel {
    hf::Section section;
    std::string model_type;
  };
  virtual std::optional<TextModel> text_model(const hf::Section& /*top*/) const {
    return std::nullopt;
  }

  // Sets routing, attention (kinds, params, KV), the expert shapes and each layer's FFN. The
  // loader has already read what every family shares (hidden, num_layers, vocab, dtypes,
  // tie_word_embeddings) and sized `m.layers`.
  virtual void build(const hf::Section& cfg, const CheckpointDtypes& dt, ModelSpec& m) const = 0;
};

// Keyed by HF model_type.
using ModelFamilyRegistry = Registry<ModelFamily>;

// The fallback for an unregistered model_type: any config with the standard MoE fields.
std::unique_ptr<ModelFamily> make_generic_moe_family();

}  // namespace sievesim
