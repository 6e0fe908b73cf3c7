#include "hw/preset.hpp"

#include "base/error.hpp"
#include "base/registry.hpp"
#include "base/yaml_keys.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/net/fabric_model.hpp"
#include "hw/pim/pim_model.hpp"

namespace sievesim {

PresetRegistry& PresetRegistry::instance() {
  static PresetRegistry r;
  return r;
}

bool PresetRegistry::add(const std::string& family, const std::string& name,
                         const std::string& yaml_text) {
  presets_[family][name] = yaml_text;
  return true;
}

const std::string* PresetRegistry::find(const std::string& family, const std::string& name) const {
  auto f = presets_.find(family);
  if (f == presets_.end()) return nullptr;
  auto p = f->second.find(name);
  return p == f->second.end() ? nullptr : &p->second;
}

std::vector<std::string> PresetRegistry::names(const std::string& family) const {
  std::vector<std::string> out;
  auto f = presets_.find(family);
  if (f != presets_.end())
    for (const auto& [k, v] : f->second) out.push_back(k);
  return out;
}

namespace {
// A preset may start from another one (`inherit: NAME`, looked up in the same family, then in
// "dram", the family of memory-part presets): its keys lie on top of the inherited ones.
YAML::Node expand(const std::string& family, const std::string& name, const std::string& text,
                  int depth = 0) {
  YAML::Node node = YAML::Load(text);
  reject_duplicate_keys(node, "preset " + family + "/" + name);
  if (!node["inherit"]) return node;
  const std::string base = node["inherit"].as<std::string>();
  const std::string* base_text = PresetRegistry::instance().find(family, base);
  const std::string* dram_text = PresetRegistry::instance().find("dram", base);
  if ((!base_text && !dram_text) || depth > 8)
    throw SimulationError("preset '" + name + "' inherits unknown preset '" + base + "'");
  node.remove("inherit");
  return yaml_merge(expand(family, base, base_text ? *base_text : *dram_text, depth + 1), node);
}
}  // namespace

Params resolve_preset(const Params& parent, const std::string& key, const std::string& family,
                      const std::string& default_preset) {
  Params user = parent.child(key);
  std::string known;
  for (const auto& n : PresetRegistry::instance().names(family)) known += " " + n;
  // The names go in the description: the range column would be as wide as all of them.
  const std::string what = "the " + family + " preset, a complete parameter set any key of " +
                           "which may be given here too; one of:" + known;
  const std::string name =
      user.param<std::string>("preset").desc(what).range("a preset name").dflt(default_preset);
  const std::string* text = PresetRegistry::instance().find(family, name);
  if (!text) user.fail("preset", "unknown " + family + " preset '" + name + "'; known:" + known);
  YAML::Node merged = yaml_merge(expand(family, name, *text), user.input());
  merged["preset"] = name;
  Params p = parent.child_with_input(key, merged);
  p.param<std::string>("preset").desc(what).range("a preset name").required();
  return p;
}

std::vector<std::string> preset_families() {
  return {"gpu", "pim", "fabric"};
}

ParamDocs describe_preset(const std::string& family, const std::string& name) {
  if (!PresetRegistry::instance().find(family, name))
    throw SimulationError("describe_preset: no " + family + " preset '" + name + "'");
  YAML::Node root(YAML::NodeType::Map);
  root[family]["preset"] = name;
  auto docs = std::make_shared<ParamDocs>();
  const Params p = resolve_preset(Params::describing(docs, root), family, family, name);
  if (family == "gpu")
    make_gpu_model(p);
  else if (family == "pim")
    make_pim_model(p);
  else if (family == "fabric")
    make_fabric_model(p);
  else
    throw SimulationError("describe_preset: no model family '" + family + "'");
  // Keys relative to the preset's own section.
  for (auto& d : *docs) d.key = d.key.substr(family.size() + 1);
  return *docs;
}

}  // namespace sievesim
