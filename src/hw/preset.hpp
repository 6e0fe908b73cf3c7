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

// The presets an experiment and `sievesim cost` use when none is named: one place, so the two
// never model different hardware by default (the Sieve paper's B200 with HBM3E bank-level PIM).
inline constexpr const char* kDefaultGpuPreset = "b200";
inline constexpr const char* kDefaultPimPreset = "hbm3e-bank-pim";
inline constexpr const char* kDefaultScaleUpPreset = "nvlink5";
inline constexpr const char* kDefaultScaleOutPreset = "ib-ndr";

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

// The families whose presets are complete models: "gpu", "pim", "fabric" (not "dram", the memory
// parts PIM presets inherit).
std::vector<std::string> preset_families();

// Every parameter the model of preset `name` reads, its values (the preset's) as the defaults:
// the model is built on a describing reader, not counted. Keys relative to the preset's section.
ParamDocs describe_preset(const std::string& family, const std::string& name);

}  // namespace sievesim

#define SIEVESIM_REGISTER_PRESET(FAMILY, NAME, YAML_TEXT)                   \
  namespace {                                                               \
  [[maybe_unused]] const bool SIEVESIM_CONCAT(sievesim_preset_, __LINE__) = \
      ::sievesim::PresetRegistry::instance().add(FAMILY, NAME, YAML_TEXT);  \
  }
