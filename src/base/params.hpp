#pragma once
// Checked reading of YAML parameters (the Ramulator 2 idea): every read names its key, type,
// bounds and default; every value read is recorded in a "resolved" tree, so that
//  - `validate` can print the complete configuration with all defaults filled in,
//  - any key present in the input but never read is reported as unknown (typos fail loudly).
// A reader made with Params::describing() also documents every read (ParamDoc), so that
// `sievesim params` and the checks of implementations not selected come from the same reads
// that configure a run, and cannot drift from them.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace sievesim {

class Params;

// One parameter as an implementation reads it: what `sievesim params` prints, and what checks a
// subsection of an implementation that is not selected (check_params).
struct ParamDoc {
  std::string key;    // dotted, relative to the described section
  std::string type;   // integer, number, bool, string, list of numbers, list
  std::string dflt;   // the default as text, "required", or the value the input (a preset) gave
  std::string range;  // bounds or choices as text; empty when any value of the type goes
  std::string desc;
  // Reads the key again from `reader` (the map that holds it) with the same type, bounds,
  // choices and default, recording it there as the implementation's own read would.
  std::function<void(const Params& reader)> reread;
};
using ParamDocs = std::vector<ParamDoc>;

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
  // What the parameter is, its unit, and where its value comes from when that matters.
  ParamSpec& desc(std::string text) {
    desc_ = std::move(text);
    return *this;
  }
  // The accepted values, for the docs, where the reader checks them itself after reading (a
  // name looked up in a registry, "auto" or a count).
  ParamSpec& range(std::string text) {
    range_ = std::move(text);
    return *this;
  }
  // The default, for the docs, where the fallback given to dflt() is computed from other values
  // (e.g. "8 x median"): a subsection that is only checked records no computed value for it.
  ParamSpec& default_text(std::string text) {
    default_text_ = std::move(text);
    return *this;
  }
  // Describing (Params::describing): an absent key yields a sample value within the bounds (the
  // first choice), so that constructors run through, and is documented as "required".
  T required() const;
  T dflt(const T& fallback) const;
  std::optional<T> optional() const;

 private:
  enum class Kind { kRequired, kDefault, kOptional };
  std::optional<T> read() const;
  void check(const T& v) const;
  std::string expectation() const;
  T sample() const;
  void document(Kind kind, const std::optional<T>& given, const T* fallback) const;
  const Params& owner_;
  std::string key_;
  std::optional<T> min_, max_, above_;
  std::vector<std::string> choices_;
  std::string desc_, range_, default_text_;
};

class Params {
 public:
  // `input` is the YAML map to read; `file` names it in errors; `path` is its dotted key path.
  Params(YAML::Node input, std::string file, std::string path = "",
         std::shared_ptr<const std::set<std::string>> overridden = nullptr);
  // A reader that documents every parameter read into `sink` (see ParamDoc). `input` (a preset)
  // supplies values, shown as the defaults. An implementation built on it must not do I/O or
  // other work a description does not need: it checks describing() once its parameters are read.
  static Params describing(std::shared_ptr<ParamDocs> sink, YAML::Node input = YAML::Node());
  bool describing() const { return docs_ != nullptr; }

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
  std::vector<std::string> scalar_list(const std::string& key, const std::string& desc = "") const;
  std::vector<double> number_list(const std::string& key, std::vector<double> fallback,
                                  const std::string& desc = "") const;

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
  // Adds `doc` (its key relative to this reader) to the sink; a key read twice keeps its first
  // record, completed by the later one's description and range.
  void document(ParamDoc doc) const;

 private:
  YAML::Node input_;
  mutable YAML::Node resolved_;
  std::string file_, path_;
  std::shared_ptr<const std::set<std::string>> overridden_;
  std::shared_ptr<ParamDocs> docs_;  // set when describing
  std::string doc_prefix_;           // this reader's dotted path below the described section
};

// Checks `section` (a subsection the user wrote for an implementation that is not selected)
// against that implementation's docs without building it: every documented key is read again
// with its type, bounds and default, and any other key is an unknown key, as
// reject_unknown_keys() reports it.
void check_params(const Params& section, const ParamDocs& docs);

// Applies `key.path=value` overrides (value parsed as YAML) to `root`, creating maps as needed.
// Returns the set of overridden dotted paths, so errors can say a value came from -p.
std::set<std::string> apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides,
                                      const std::string& file);

// Deep copy of a YAML tree (YAML::Node copies share storage).
YAML::Node yaml_clone(const YAML::Node& n);
// `base` with every key of `over` laid on top, recursively (maps merge, other values replace).
YAML::Node yaml_merge(const YAML::Node& base, const YAML::Node& over);

}  // namespace sievesim
