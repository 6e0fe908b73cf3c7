#pragma once
// yaml-cpp keeps every pair of a map, also a key written twice, and a lookup returns the first:
// `nodes: 4 ... nodes: 8` would silently run with 4. Every YAML text we read (experiment files,
// -p values, hardware presets) goes through this check right after parsing.
#include <yaml-cpp/yaml.h>

#include <string>

namespace sievesim {

// Throws InputError(file, dotted key, ...) for the first key that appears twice in one map,
// at any depth (maps inside lists too); `path` is the dotted path of `root` itself.
void reject_duplicate_keys(const YAML::Node& root, const std::string& file,
                           const std::string& path = "");

}  // namespace sievesim
