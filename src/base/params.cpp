#include "base/params.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <type_traits>

#include "base/yaml_keys.hpp"

namespace sievesim {
namespace {

// A value for the resolved tree. Doubles get their shortest text that reads back as the same
// double (0.8, not yaml-cpp's 17 digits 0.80000000000000004), so the resolved configuration
// `validate` prints and result files keep reads as the user wrote it.
template <class T>
YAML::Node as_node(const T& v) {
  if constexpr (std::is_same_v<T, double>) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return YAML::Node(std::string(buf, r.ptr));
  } else {
    return YAML::Node(v);
  }
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path) {
    if (c == '.') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a map";
  return "null";
}

template <class T>
std::string show(const T& v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// A map key as text; YAML allows lists and maps as keys, a configuration does not.
std::string key_text(const YAML::Node& k, const std::string& file, const std::string& path) {
  if (!k.IsScalar())
    throw InputError(file, path, "map keys must be plain names, found " + scalar_text(k));
  return k.Scalar();
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Parses one scalar as T, or returns nullopt when it is not a T.
template <class T>
std::optional<T> parse_as(const YAML::Node& n);

template <>
std::optional<std::int64_t> parse_as(const YAML::Node& n) {
  if (!n.IsScalar()) return std::nullopt;
  const std::string& s = n.Scalar();
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}
template <>
std::optional<double> parse_as(const YAML::Node& n) {
  if (!n.IsScalar()) return std::nullopt;
  const std::string& s = n.Scalar();
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}
template <>
std::optional<bool> parse_as(const YAML::Node& n) {
  if (!n.IsScalar()) return std::nullopt;
  bool v = false;
  if (!YAML::convert<bool>::decode(n, v)) return std::nullopt;
  return v;
}
template <>
std::optional<std::string> parse_as(const YAML::Node& n) {
  if (!n.IsScalar()) return std::nullopt;
  return n.Scalar();
}

template <class T>
const char* type_name();
template <>
const char* type_name<std::int64_t>() {
  return "an integer";
}
template <>
const char* type_name<double>() {
  return "a number";
}
template <>
const char* type_name<bool>() {
  return "true or false";
}
template <>
const char* type_name<std::string>() {
  return "a string";
}

// The type as a column of `sievesim params`.
template <class T>
const char* doc_type() {
  if constexpr (std::is_same_v<T, std::int64_t>) return "integer";
  if constexpr (std::is_same_v<T, double>) return "number";
  if constexpr (std::is_same_v<T, bool>) return "bool";
  return "string";
}

template <class T>
std::string value_text(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return v.empty() ? "\"\"" : v;
  } else if constexpr (std::is_same_v<T, double>) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
  } else {
    return std::to_string(v);
  }
}

}  // namespace

Params::Params(YAML::Node input, std::string file, std::string path,
               std::shared_ptr<const std::set<std::string>> overridden)
    : input_(input ? input : YAML::Node(YAML::NodeType::Map)),
      resolved_(YAML::NodeType::Map),
      file_(std::move(file)),
      path_(std::move(path)),
      overridden_(overridden ? std::move(overridden)
                             : std::make_shared<const std::set<std::string>>()) {
  if (!input_.IsMap()) {
    throw InputError(file_, path_, "expected a map of keys, got " + scalar_text(input_));
  }
}

void Params::fail(const std::string& key, const std::string& what) const {
  const std::string full = key_path(key);
  std::string msg = what;
  if (overridden_->count(full)) msg += " (value set with -p)";
  throw InputError(file_, full, msg);
}

bool Params::has(const std::string& key) const {
  const YAML::Node n = input_[key];
  return n.IsDefined() && !n.IsNull();
}

YAML::Node Params::raw(const std::string& key) const {
  const YAML::Node& in = input_;
  return in[key];
}

void Params::record(const std::string& key, const YAML::Node& value) const {
  resolved_[key] = value;
}

Params Params::child(const std::string& key) const {
  YAML::Node n = raw(key);
  YAML::Node sub = (n.IsDefined() && !n.IsNull()) ? n : YAML::Node(YAML::NodeType::Map);
  if (!sub.IsMap()) fail(key, "expected a map of keys, got " + scalar_text(sub));
  return child_with_input(key, sub);
}

Params Params::describing(std::shared_ptr<ParamDocs> sink, YAML::Node input) {
  Params p(input.IsDefined() && !input.IsNull() ? input : YAML::Node(YAML::NodeType::Map),
           "(describe)");
  p.docs_ = std::move(sink);
  return p;
}

Params Params::child_with_input(const std::string& key, const YAML::Node& input) const {
  Params c(input, file_, key_path(key), overridden_);
  c.docs_ = docs_;
  if (docs_) c.doc_prefix_ = doc_prefix_ + key + ".";
  resolved_[key] = c.resolved_;
  return c;
}

void Params::document(ParamDoc doc) const {
  if (!docs_) return;
  doc.key = doc_prefix_ + doc.key;
  for (auto& d : *docs_)
    if (d.key == doc.key) {
      if (d.desc.empty()) d.desc = std::move(doc.desc);
      if (d.range.empty()) d.range = std::move(doc.range);
      return;
    }
  docs_->push_back(std::move(doc));
}

std::vector<double> Params::number_list(const std::string& key, std::vector<double> fallback,
                                        const std::string& desc) const {
  if (docs_) {
    std::string dflt;
    for (double v : fallback) dflt += (dflt.empty() ? "" : ", ") + value_text(v);
    document({key, "list of numbers", "[" + dflt + "]", "", desc,
              [key, fallback, desc](const Params& r) { r.number_list(key, fallback, desc); }});
  }
  YAML::Node n = raw(key);
  if (!n.IsDefined() || n.IsNull()) {
    YAML::Node seq(YAML::NodeType::Sequence);
    for (double v : fallback) seq.push_back(as_node(v));
    record(key, seq);
    return fallback;
  }
  if (!n.IsSequence()) fail(key, "expected a list of numbers, got " + scalar_text(n));
  std::vector<double> out;
  for (const auto& e : n) {
    auto v = parse_as<double>(e);
    if (!v) fail(key, "expected a list of numbers, found '" + scalar_text(e) + "'");
    out.push_back(*v);
  }
  record(key, n);
  return out;
}

std::vector<std::string> Params::scalar_list(const std::string& key,
                                             const std::string& desc) const {
  if (docs_)
    document({key, "list", "[]", "numbers or names", desc,
              [key, desc](const Params& r) { r.scalar_list(key, desc); }});
  YAML::Node n = raw(key);
  if (!n.IsDefined() || n.IsNull()) {
    record(key, YAML::Node(YAML::NodeType::Sequence));
    return {};
  }
  if (!n.IsSequence()) fail(key, "expected a list, got " + scalar_text(n));
  std::vector<std::string> out;
  for (const auto& e : n) {
    if (!e.IsScalar()) fail(key, "expected a list of numbers or names, found a nested value");
    // Numbers in one canonical spelling, so `1e2` and `100` name the same run.
    if (const auto v = parse_as<double>(e)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.15g", *v);
      out.emplace_back(buf);
    } else {
      out.push_back(e.Scalar());
    }
  }
  record(key, n);
  return out;
}

void Params::reject_unknown_keys() const {
  // A key is known when the resolved tree has it: every read records its key there.
  struct Walker {
    const Params& p;
    void walk(const YAML::Node& in, const YAML::Node& res, const std::string& path) const {
      if (!in.IsMap()) return;
      for (const auto& kv : in) {
        const std::string key = key_text(kv.first, p.file(), path);
        const std::string full = path.empty() ? key : path + "." + key;
        const YAML::Node r = res.IsMap() ? res[key] : YAML::Node();
        if (!r.IsDefined()) {
          std::string msg = "unknown key '" + key + "'";
          std::vector<std::string> known;
          if (res.IsMap())
            for (const auto& k : res) known.push_back(k.first.Scalar());
          std::string best;
          size_t best_d = 3;
          for (const auto& k : known) {
            const size_t d = edit_distance(key, k);
            if (d < best_d) best_d = d, best = k;
          }
          if (!best.empty()) msg += " (did you mean '" + best + "'?)";
          if (!known.empty()) {
            msg += "; known keys here:";
            for (const auto& k : known) msg += " " + k;
          }
          throw InputError(p.file(), full, msg);
        }
        if (kv.second.IsMap() && r.IsMap()) walk(kv.second, r, full);
      }
    }
  };
  Walker{*this}.walk(input_, resolved_, path_);
}

// --- ParamSpec --------------------------------------------------------------------------------
template <class T>
std::optional<T> ParamSpec<T>::read() const {
  const YAML::Node n = owner_.raw(key_);
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  auto v = parse_as<T>(n);
  if (!v) owner_.fail(key_, "expected " + expectation() + ", got '" + scalar_text(n) + "'");
  check(*v);
  return v;
}

template <class T>
std::string ParamSpec<T>::expectation() const {
  std::string e = type_name<T>();
  if constexpr (std::is_same_v<T, std::string>) {
    if (!choices_.empty()) {
      e = "one of:";
      for (const auto& c : choices_) e += " " + c;
    }
  } else if constexpr (!std::is_same_v<T, bool>) {
    if (above_) e += " > " + show(*above_);
    if (min_) e += " >= " + show(*min_);
    if (max_) e += (min_ || above_ ? " and <= " : " <= ") + show(*max_);
  }
  return e;
}

template <class T>
void ParamSpec<T>::check(const T& v) const {
  bool ok = true;
  if constexpr (std::is_same_v<T, std::string>) {
    if (!choices_.empty()) {
      ok = false;
      for (const auto& c : choices_) ok = ok || c == v;
    }
  } else if constexpr (!std::is_same_v<T, bool>) {
    if (min_ && v < *min_) ok = false;
    if (max_ && v > *max_) ok = false;
    if (above_ && !(v > *above_)) ok = false;
  }
  if (!ok) owner_.fail(key_, "expected " + expectation() + ", got '" + show(v) + "'");
}

template <class T>
T ParamSpec<T>::sample() const {
  if constexpr (std::is_same_v<T, std::string>) {
    return choices_.empty() ? "sample" : choices_.front();
  } else if constexpr (std::is_same_v<T, bool>) {
    return false;
  } else {
    T v = 1;
    if (min_ && v < *min_) v = *min_;
    if (above_ && !(v > *above_)) v = *above_ + 1;
    if (max_ && v > *max_) {
      if constexpr (std::is_same_v<T, double>) v = above_ ? (*above_ + *max_) / 2 : *max_;
      if constexpr (!std::is_same_v<T, double>) v = *max_;
    }
    return v;
  }
}

template <class T>
void ParamSpec<T>::document(Kind kind, const std::optional<T>& given, const T* fallback) const {
  ParamDoc d;
  d.key = key_;
  d.type = doc_type<T>();
  if (given)
    d.dflt = owner_.raw(key_).Scalar();  // as the input (a preset) spells it
  else if (kind == Kind::kRequired)
    d.dflt = "required";
  else if (kind == Kind::kOptional)
    d.dflt = "unset";
  else
    d.dflt = default_text_.empty() ? value_text(*fallback) : default_text_;
  if (!range_.empty()) {
    d.range = range_;
  } else if constexpr (std::is_same_v<T, std::string>) {
    for (const auto& c : choices_) d.range += (d.range.empty() ? "" : " | ") + c;
  } else if constexpr (!std::is_same_v<T, bool>) {
    const std::string lo = min_ ? "[" + value_text(*min_) : above_ ? "(" + value_text(*above_) : "";
    if (!lo.empty() && max_)
      d.range = lo + ", " + value_text(*max_) + "]";
    else if (!lo.empty())
      d.range = (min_ ? ">= " : "> ") + lo.substr(1);
    else if (max_)
      d.range = "<= " + value_text(*max_);
  }
  d.desc = desc_;
  // A computed default cannot be computed again without the values it comes from: a checked
  // subsection records none (optional), its given value is still checked.
  const std::optional<T> fb =
      fallback && default_text_.empty() ? std::optional<T>(*fallback) : std::nullopt;
  d.reread = [key = key_, min = min_, max = max_, above = above_, choices = choices_, kind,
              fb](const Params& r) {
    ParamSpec<T> s(r, key);
    s.min_ = min, s.max_ = max, s.above_ = above, s.choices_ = choices;
    if (kind == Kind::kRequired)
      s.required();
    else if (kind == Kind::kDefault && fb)
      s.dflt(*fb);
    else
      s.optional();
  };
  owner_.document(std::move(d));
}

template <class T>
T ParamSpec<T>::required() const {
  auto v = read();
  if (!v && owner_.describing()) {
    const T s = sample();
    owner_.record(key_, as_node(s));
    document(Kind::kRequired, std::nullopt, nullptr);
    return s;
  }
  if (!v) {
    // A missing required key next to an unread key that is one or two edits away is a typo:
    // name the typo, as the unknown-key check would have, rather than the missing key.
    for (const auto& kv : owner_.input()) {
      const std::string k = key_text(kv.first, owner_.file(), owner_.path());
      if (k != key_ && !owner_.resolved()[k].IsDefined() && edit_distance(k, key_) <= 2)
        throw InputError(owner_.file(), owner_.key_path(k),
                         "unknown key '" + k + "' (did you mean '" + key_ + "'?)");
    }
    owner_.fail(key_, "missing required key (expected " + expectation() + ")");
  }
  owner_.record(key_, as_node(*v));
  if (owner_.describing()) document(Kind::kRequired, v, nullptr);
  return *v;
}

template <class T>
T ParamSpec<T>::dflt(const T& fallback) const {
  auto v = read();
  const T out = v ? *v : fallback;
  owner_.record(key_, as_node(out));
  if (owner_.describing()) document(Kind::kDefault, v, &fallback);
  return out;
}

template <class T>
std::optional<T> ParamSpec<T>::optional() const {
  auto v = read();
  owner_.record(key_, v ? as_node(*v) : YAML::Node(YAML::NodeType::Null));
  if (owner_.describing()) document(Kind::kOptional, v, nullptr);
  return v;
}

template class ParamSpec<std::int64_t>;
template class ParamSpec<double>;
template class ParamSpec<bool>;
template class ParamSpec<std::string>;

void check_params(const Params& section, const ParamDocs& docs) {
  // One reader per nested map, made once: a second child() of the same key would replace the
  // first one's record in the resolved tree.
  std::map<std::string, Params> readers;
  std::function<const Params&(const std::string&)> reader_for =
      [&](const std::string& prefix) -> const Params& {
    if (prefix.empty()) return section;
    if (auto it = readers.find(prefix); it != readers.end()) return it->second;
    const auto dot = prefix.rfind('.');
    const Params& parent = reader_for(dot == std::string::npos ? "" : prefix.substr(0, dot));
    const std::string leaf = dot == std::string::npos ? prefix : prefix.substr(dot + 1);
    return readers.emplace(prefix, parent.child(leaf)).first->second;
  };
  for (const auto& d : docs) {
    if (!d.reread) continue;
    const auto dot = d.key.rfind('.');
    d.reread(reader_for(dot == std::string::npos ? "" : d.key.substr(0, dot)));
  }
  section.reject_unknown_keys();
}

// --- overrides and tree helpers ---------------------------------------------------------------
YAML::Node yaml_clone(const YAML::Node& n) {
  return YAML::Clone(n);
}

YAML::Node yaml_merge(const YAML::Node& base, const YAML::Node& over) {
  YAML::Node out = YAML::Clone(base);
  if (!over.IsDefined() || over.IsNull()) return out;
  if (!out.IsMap() || !over.IsMap()) return YAML::Clone(over);
  for (const auto& kv : over) {
    const std::string key = key_text(kv.first, "", "");
    const YAML::Node& cur = out;
    if (cur[key].IsDefined() && cur[key].IsMap() && kv.second.IsMap()) {
      out[key] = yaml_merge(cur[key], kv.second);
    } else {
      out[key] = YAML::Clone(kv.second);
    }
  }
  return out;
}

std::set<std::string> apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides,
                                      const std::string& file) {
  std::set<std::string> paths;
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw InputError(file, "-p " + o, "expected key.path=value");
    }
    const std::string path = o.substr(0, eq);
    const std::string text = o.substr(eq + 1);
    YAML::Node value;
    try {
      value = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      throw InputError(file, path, "cannot parse -p value '" + text + "': " + e.msg);
    }
    try {
      reject_duplicate_keys(value, file, path);
    } catch (const InputError& e) {
      throw InputError(file, e.key(), "duplicate key in the -p value '" + text + "'");
    }
    const auto parts = split_path(path);
    YAML::Node cur = root;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (parts[i].empty()) throw InputError(file, path, "empty key in -p path");
      YAML::Node next = cur[parts[i]];
      if (next.IsDefined() && !next.IsNull() && !next.IsMap()) {
        throw InputError(file, path, "'" + parts[i] + "' is a value, not a section");
      }
      if (!next.IsDefined() || next.IsNull()) cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      YAML::Node nxt = cur[parts[i]];
      cur.reset(nxt);
    }
    cur[parts.back()] = value;
    paths.insert(path);
  }
  return paths;
}

}  // namespace sievesim
