#include "hw/preset.hpp"

#include "base/error.hpp"
#include "base/registry.hpp"

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
  const std::string name = user.param<std::string>("preset").dflt(default_preset);
  const std::string* text = PresetRegistry::instance().find(family, name);
  if (!text) {
    std::string known;
    for (const auto& n : PresetRegistry::instance().names(family)) known += " " + n;
    user.fail("preset", "unknown " + family + " preset '" + name + "'; known:" + known);
  }
  YAML::Node merged = yaml_merge(expand(family, name, *text), user.input());
  merged["preset"] = name;
  Params p = parent.child_with_input(key, merged);
  p.param<std::string>("preset").required();
  return p;
}

}  // namespace sievesim
