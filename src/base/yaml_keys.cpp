#include "base/yaml_keys.hpp"

#include <map>

#include "base/error.hpp"

namespace sievesim {

void reject_duplicate_keys(const YAML::Node& root, const std::string& file,
                           const std::string& path) {
  if (root.IsSequence()) {
    std::size_t i = 0;
    for (const auto& item : root)
      reject_duplicate_keys(item, file, path + "[" + std::to_string(i++) + "]");
    return;
  }
  if (!root.IsMap()) return;
  std::map<std::string, YAML::Mark> first;  // key -> where it first appeared
  for (const auto& kv : root) {
    // (A complex key, a map or a list, cannot name a parameter; the readers reject it.)
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    const std::string full = path.empty() ? key : path + "." + key;
    if (!key.empty()) {
      const YAML::Mark at = kv.first.Mark();
      const auto [it, fresh] = first.emplace(key, at);
      if (!fresh) {
        const YAML::Mark& was = it->second;
        const std::string where = was.line == at.line
                                      ? "line " + std::to_string(at.line + 1) + ", columns " +
                                            std::to_string(was.column + 1) + " and " +
                                            std::to_string(at.column + 1)
                                      : "line " + std::to_string(was.line + 1) + " and line " +
                                            std::to_string(at.line + 1);
        throw InputError(file, full,
                         "duplicate key (" + where + "); each key may appear once in a map");
      }
    }
    reject_duplicate_keys(kv.second, file, full);
  }
}

}  // namespace sievesim
