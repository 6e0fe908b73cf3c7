#pragma once
// Hardware presets: a named, complete parameter set in YAML, one preset per file, registered by
// family ("gpu", "pim", "fabric"). The experiment names a preset and may override any of its keys;
// the preset names the implementation (`impl:`) that reads them.
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "base/params.hpp"
#include "base/registry.hpp"

namespace sievesim {

class PresetRegistry {
 public:
  static PresetRegistry& instance();
  bool add(const std::string& family, const std::string& name, const std::string& yaml_text);
  // Null when unknown.
  const std::string* find(const std::string& family, const std::string& name) const;
  std::vector<std::string> names(const std::string& family) const;

 private:
  std::map<std::string, std::map<std::string, std::string>> presets_;
};

// Reads the section `key` of `parent` (a map with `preset:` and any overrides), merges the
// preset's parameters under the user's keys, and returns the reader of the merged map. The
// returned reader's `impl` key names the implementation.
Params resolve_preset(const Params& parent, const std::string& key, const std::string& family,
                      const std::string& default_preset);

}  // namespace sievesim

#define SIEVESIM_REGISTER_PRESET(FAMILY, NAME, YAML_TEXT)                   \
  namespace {                                                               \
  [[maybe_unused]] const bool SIEVESIM_CONCAT(sievesim_preset_, __LINE__) = \
      ::sievesim::PresetRegistry::instance().add(FAMILY, NAME, YAML_TEXT);  \
  }
