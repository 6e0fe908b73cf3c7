#pragma once
// Checked reading of YAML parameters (the Ramulator 2 idea): every read names its key, type,
// bounds and default; every value read is recorded in a "resolved" tree, so that
//  - `validate` can print the complete configuration with all defaults filled in,
//  - any key present in the input but never read is reported as unknown (typos fail loudly).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace sievesim {

class Params;

template <class T>
class ParamSpec {
 public:
  ParamSpec(const Params& owner, std::string key) : owner_(owner), key_(std::move(key)) {}
  ParamSpec& min(T v) {
    min_ = v;
    return *this;
  }
  ParamSpec& max(T v) {
    max_ = v;
    return *this;
  }
  // Exclusive lower bound (for quantities that must be strictly positive).
  ParamSpec& above(T v) {
    above_ = v;
    return *this;
  }
  ParamSpec& one_of(std::vector<std::string> choices) {
    choices_ = std::move(choices);
    return *this;
  }
  T required() const;
  T dflt(const T& fallback) const;
  std::optional<T> optional() const;

 private:
  std::optional<T> read() const;
  void check(const T& v) const;
  std::string expectation() const;
  const Params& owner_;
  std::string key_;
  std::optional<T> min_, max_, above_;
  std::vector<std::string> choices_;
};

class Params {
 public:
  // `input` is the YAML map to read; `file` names it in errors; `path` is its dotted key path.
  Params(YAML::Node input, std::string file, std::string path = "",
         std::shared_ptr<const std::set<std::string>> overridden = nullptr);

  template <class T>
  ParamSpec<T> param(const std::string& key) const {
    return ParamSpec<T>(*this, key);
  }
  bool has(const std::string& key) const;
  // A nested map; an absent key yields an empty map (so its own defaults apply).
  Params child(const std::string& key) const;
  // Like child(), but reads `input` (for example a preset merged with the user's keys) in place
  // of the raw value; unknown-key checks still compare against what the user wrote.
  Params child_with_input(const std::string& key, const YAML::Node& input) const;
  // A list of numbers (kept as a YAML sequence in the resolved tree).
  // A list of scalars as text (numbers canonically formatted); empty when absent.
  std::vector<std::string> scalar_list(const std::string& key) const;
  std::vector<double> number_list(const std::string& key, std::vector<double> fallback) const;

  // Throws InputError for the first key in the input that was never read, recursively.
  void reject_unknown_keys() const;

  const YAML::Node& input() const { return input_; }
  YAML::Node resolved() const { return resolved_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  std::string key_path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

  // Internal: used by ParamSpec.
  YAML::Node raw(const std::string& key) const;
  void record(const std::string& key, const YAML::Node& value) const;

 private:
  YAML::Node input_;
  mutable YAML::Node resolved_;
  std::string file_, path_;
  std::shared_ptr<const std::set<std::string>> overridden_;
};

// Applies `key.path=value` overrides (value parsed as YAML) to `root`, creating maps as needed.
// Returns the set of overridden dotted paths, so errors can say a value came from -p.
std::set<std::string> apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides,
                                      const std::string& file);

// Deep copy of a YAML tree (YAML::Node copies share storage).
YAML::Node yaml_clone(const YAML::Node& n);
// `base` with every key of `over` laid on top, recursively (maps merge, other values replace).
YAML::Node yaml_merge(const YAML::Node& base, const YAML::Node& over);

}  // namespace sievesim
