#pragma once
// Checked reading of one JSON object of a Hugging Face config.json: every accessor names the full
// key path in its error, so a bad config fails with one line naming the file and the key.
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace sievesim::hf {

using json = nlohmann::json;

// Caps far above any real model keep every per-layer product below 2^62, so the int64
// arithmetic here and in ModelSpec cannot overflow on hostile input.
constexpr std::int64_t kMaxDim = std::int64_t{1} << 18;
constexpr std::int64_t kMaxVocab = std::int64_t{1} << 24;

inline std::string describe(const json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_null()) return "null";
  const std::string t = v.type_name();
  return (t == "array" || t == "object" ? "an " : "a ") + t;
}

// One JSON object (the config, or its text_config) that names the full key path in errors.
class Section {
 public:
  Section(const json& obj, std::string file, std::string prefix)
      : obj_(&obj), file_(std::move(file)), prefix_(std::move(prefix)) {}

  [[noreturn]] void fail(const std::string& k, const std::string& what) const {
    throw InputError(file_, prefix_ + k, what);
  }
  // Present and not null: HF writes optional features as null (q_lora_rank, sliding_window).
  bool has(const std::string& k) const {
    auto it = obj_->find(k);
    return it != obj_->end() && !it->is_null();
  }
  const json& raw(const std::string& k) const {
    auto it = obj_->find(k);
    if (it == obj_->end()) fail(k, "missing required key");
    return *it;
  }

  std::int64_t integer(const std::string& k) const { return as_integer(k, raw(k)); }
  // A size or count: >= 1 (or >= 0) and at most `cap`.
  std::int64_t dim(const std::string& k, std::int64_t cap = kMaxDim) const {
    return bounded(k, integer(k), 1, cap);
  }
  std::int64_t dim_or(const std::string& k, std::int64_t fallback) const {
    return has(k) ? dim(k) : fallback;
  }
  std::int64_t count_or(const std::string& k, std::int64_t fallback) const {
    return has(k) ? bounded(k, integer(k), 0, kMaxDim) : fallback;
  }
  bool boolean_or(const std::string& k, bool fallback) const {
    if (!has(k)) return fallback;
    const json& v = raw(k);
    if (!v.is_boolean()) fail(k, "expected a boolean, got " + describe(v));
    return v.get<bool>();
  }
  std::string string(const std::string& k) const {
    const json& v = raw(k);
    if (!v.is_string()) fail(k, "expected a string, got " + describe(v));
    return v.get<std::string>();
  }
  std::optional<std::string> opt_string(const std::string& k) const {
    if (!has(k)) return std::nullopt;
    return string(k);
  }
  const json* opt_array(const std::string& k) const {
    if (!has(k)) return nullptr;
    const json& v = raw(k);
    if (!v.is_array()) fail(k, "expected an array, got " + describe(v));
    return &v;
  }
  std::optional<Section> opt_object(const std::string& k) const {
    if (!has(k)) return std::nullopt;
    const json& v = raw(k);
    if (!v.is_object()) fail(k, "expected an object, got " + describe(v));
    return Section(v, file_, prefix_ + k + ".");
  }
  // The first of `keys` that is present (several spellings of one HF field), or "" if none.
  // Two spellings with different values are an error rather than a silent pick.
  std::string which(std::initializer_list<const char*> keys) const {
    std::string found;
    for (const char* k : keys) {
      if (!has(k)) continue;
      if (found.empty()) {
        found = k;
      } else if (raw(k) != raw(found)) {
        fail(k, "disagrees with " + prefix_ + found);
      }
    }
    return found;
  }

  std::int64_t as_integer(const std::string& k, const json& v) const {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t{1} << 62)
      fail(k, "integer out of range");
    if (v.is_number_integer()) return v.get<std::int64_t>();
    // Some exporters write integral values as floats (e.g. 4096.0).
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)
        return static_cast<std::int64_t>(d);
    }
    fail(k, "expected an integer, got " + describe(v));
  }
  std::int64_t bounded(const std::string& k, std::int64_t v, std::int64_t lo,
                       std::int64_t hi) const {
    if (v < lo)
      fail(k, "must be " + std::string(lo > 0 ? "positive" : "non-negative") + ", got " +
                  std::to_string(v));
    if (v > hi) fail(k, "implausibly large: " + std::to_string(v));
    return v;
  }

 private:
  const json* obj_;
  std::string file_, prefix_;
};

}  // namespace sievesim::hf
