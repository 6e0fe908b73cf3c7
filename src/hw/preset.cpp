#include "hw/preset.hpp"

#include "common/registry.hpp"

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
  YAML::Node preset = YAML::Load(*text);
  YAML::Node merged = yaml_merge(preset, user.input());
  merged["preset"] = name;
  Params p = parent.child_with_input(key, merged);
  p.param<std::string>("preset").required();
  return p;
}

}  // namespace sievesim
