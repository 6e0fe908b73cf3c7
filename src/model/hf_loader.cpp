// Reads a Hugging Face config.json as published and derives the shapes, parameter counts and
// KV/state bytes the time model needs. The model_type picks a family (model_family.hpp, one file
// each under families/); only what costs time or memory is modelled (no rotary tables, no
// dropout, no MTP layers, no vision tower).
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "model/families/common.hpp"
#include "model/json_section.hpp"
#include "model/model.hpp"
#include "model/model_family.hpp"

namespace sievesim {
namespace {

using json = nlohmann::json;
using hf::kMaxVocab;
using hf::Section;

std::string display_name(const std::string& path) {
  const std::filesystem::path p(path);
  std::string file = p.filename().string();
  for (const std::string suffix : {"_config.json", ".json"}) {
    if (file.size() > suffix.size() && file.ends_with(suffix)) {
      file.resize(file.size() - suffix.size());
      break;
    }
  }
  // A bare config.json (an HF snapshot directory) is better known by its directory.
  if (file == "config" && p.has_parent_path() && !p.parent_path().filename().empty())
    return p.parent_path().filename().string();
  return file;
}

}  // namespace

ModelSpec parse_hf_config(const std::string& json_text, const std::string& path) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw InputError(path, "", std::string("malformed JSON: ") + e.what());
  }
  if (!root.is_object()) throw InputError(path, "", "expected a JSON object at top level");
  const Section top(root, path, "");
  std::string type = top.string("model_type");
  const ModelFamilyRegistry::Entry* entry = ModelFamilyRegistry::instance().find(type);
  const std::unique_ptr<ModelFamily> family = entry ? entry->make() : make_generic_moe_family();
  std::optional<ModelFamily::TextModel> text = family->text_model(top);
  if (text) type = text->model_type;
  const Section& cfg = text ? text->section : top;

  ModelSpec m;
  m.name = display_name(path);
  m.model_type = type;
  m.source_path = path;
  m.config_json = json_text;
  m.hidden = cfg.dim("hidden_size");
  m.num_layers = cfg.dim("num_hidden_layers");
  m.vocab = cfg.dim("vocab_size", kMaxVocab);
  m.tie_word_embeddings = cfg.has("tie_word_embeddings")
                              ? cfg.boolean_or("tie_word_embeddings", false)
                              : top.boolean_or("tie_word_embeddings", false);
  const CheckpointDtypes dt = hf::read_dtypes(cfg, top);
  m.weight_dtype = dt.weights;
  m.activation_dtype = dt.base;
  m.kv_dtype = dt.base;
  m.expert = ExpertShape{m.hidden, 0, true, false, dt.experts};
  m.shared_expert = ExpertShape{m.hidden, 0, true, false, dt.weights};
  m.layers.assign(m.num_layers, LayerSpec{});

  family->build(cfg, dt, m);
  if (!entry)
    spdlog::info("{}: model_type '{}' has no family of its own; loaded with the generic MoE family",
                 path, type);

  // Every field is capped, but the layer count times a large layer can still exceed int64;
  // check the total in floating point before ModelSpec sums it in integers.
  double total = 2.0 * static_cast<double>(m.vocab * m.hidden);
  for (const LayerSpec& l : m.layers)
    total += static_cast<double>(l.attention_params) + static_cast<double>(l.dense_ffn_params) +
             static_cast<double>(l.router_params) +
             static_cast<double>(m.routed_experts) * static_cast<double>(m.expert.params()) +
             static_cast<double>(m.shared_experts) * static_cast<double>(m.shared_expert.params());
  if (total > 1e18) throw InputError(path, "", "implausibly large model (parameter overflow)");
  return m;
}

ModelSpec load_hf_config(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path, "", "is a directory; expected a config.json file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open model config");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(path, "", "cannot read model config");
  return parse_hf_config(text.str(), path);
}

}  // namespace sievesim
