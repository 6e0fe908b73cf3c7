// GPT-OSS expert recordings (shared/traces/gpt-oss-20b/README.md) into a request-level routing
// trace: one request per JSON file, `router_data` one entry per generated token in order,
// {"token_<pos>": {"layer_0": {"selected_experts": [...], "selected_probs": [...]}, ...}}.
// Every error names the file and the token (its index in router_data and its key), so a bad
// recording among a hundred is found without a debugger.
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "workload/trace.hpp"

namespace sievesim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool is_json_name(const std::string& name) {
  auto ends = [&](const std::string& s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".json") || ends(".json.gz");
}

// The whole file, gunzipped when it is gzip (zlib reads plain files as they are).
std::string read_maybe_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw InputError(path, "", "cannot open");
  std::string text;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  // A stream cut short reads as far as it goes and reports Z_BUF_ERROR only through gzerror.
  int code = Z_OK;
  const std::string why = gzerror(f, &code);
  if (code != Z_OK && code != Z_STREAM_END) n = -1;
  // zlib passes data it does not recognize as gzip through unchanged: a .gz name must be gzip.
  const bool plain = gzdirect(f) == 1;
  gzclose(f);
  if (n < 0) throw InputError(path, "", "corrupt gzip data (" + why + ")");
  if (plain && path.ends_with(".gz")) throw InputError(path, "", "not gzip data");
  return text;
}

// One recorded request: its tokens' experts and weights, [token][layer][j].
struct Recording {
  std::int64_t tokens = 0, first_position = 0, row_index = -1;
  std::vector<std::int32_t> expert;
  std::vector<float> weight;
};

struct Shape {
  std::int64_t layers = 0, topk = 0;  // 0 until the first token sets them
};

std::int64_t token_position(const std::string& key) {
  std::int64_t pos = -1;
  if (key.rfind("token_", 0) != 0) return -1;
  const char* b = key.data() + 6;
  const char* e = key.data() + key.size();
  auto [p, ec] = std::from_chars(b, e, pos);
  return ec == std::errc() && p == e && b != e ? pos : -1;
}

void read_layer(const json& layer, const std::string& file, const std::string& where,
                std::int64_t experts, Shape& shape, Recording& rec) {
  if (!layer.is_object()) throw InputError(file, where, "not an object");
  const auto ids = layer.find("selected_experts");
  const auto probs = layer.find("selected_probs");
  if (ids == layer.end() || !ids->is_array())
    throw InputError(file, where, "selected_experts missing or not an array");
  if (probs == layer.end() || !probs->is_array())
    throw InputError(file, where, "selected_probs missing or not an array");
  const auto k = static_cast<std::int64_t>(ids->size());
  if (k == 0) throw InputError(file, where, "no selected experts");
  if (shape.topk == 0) shape.topk = k;
  if (k != shape.topk)
    throw InputError(file, where,
                     "top-" + std::to_string(k) + " where earlier tokens were top-" +
                         std::to_string(shape.topk) + " (the top-k must not change)");
  if (static_cast<std::int64_t>(probs->size()) != k)
    throw InputError(file, where, "selected_probs has not as many values as selected_experts");
  const auto first = rec.expert.size();
  for (std::size_t j = 0; j < ids->size(); ++j) {
    const json& id = (*ids)[j];
    const json& w = (*probs)[j];
    if (!id.is_number_integer()) throw InputError(file, where, "an expert id is not an integer");
    const auto e = id.get<std::int64_t>();
    if (e < 0 || (experts > 0 && e >= experts) || e >= (1 << 24))
      throw InputError(file, where,
                       "expert id " + std::to_string(e) + " out of range" +
                           (experts > 0 ? " [0, " + std::to_string(experts) + ")" : ""));
    if (std::find(rec.expert.begin() + static_cast<std::ptrdiff_t>(first), rec.expert.end(),
                  static_cast<std::int32_t>(e)) != rec.expert.end())
      throw InputError(file, where, "expert " + std::to_string(e) + " selected twice");
    if (!w.is_number() || !(w.get<double>() >= 0))
      throw InputError(file, where, "a probability is not a non-negative number");
    rec.expert.push_back(static_cast<std::int32_t>(e));
    rec.weight.push_back(static_cast<float>(w.get<double>()));
  }
}

Recording read_request(const std::string& file, std::int64_t experts, Shape& shape) {
  const std::string text = read_maybe_gz(file);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    // Count the tokens begun before the error: a truncated file says where it stops.
    const std::string head = text.substr(0, std::min<std::size_t>(e.byte, text.size()));
    std::int64_t begun = 0;
    for (auto at = head.find("\"token_"); at != std::string::npos;
         at = head.find("\"token_", at + 1))
      ++begun;
    throw InputError(
        file, "byte " + std::to_string(e.byte),
        "invalid JSON" +
            (begun > 0 ? " in router_data[" + std::to_string(begun - 1) + "]" : std::string()) +
            " (" + e.what() + ")");
  }
  if (!doc.is_object()) throw InputError(file, "", "not a JSON object");
  const auto data = doc.find("router_data");
  if (data == doc.end()) throw InputError(file, "router_data", "missing");
  if (!data->is_array()) throw InputError(file, "router_data", "not an array (one entry a token)");
  if (data->empty()) throw InputError(file, "router_data", "no tokens");
  Recording rec;
  if (const auto row = doc.find("row_index"); row != doc.end() && row->is_number_integer())
    rec.row_index = row->get<std::int64_t>();
  std::int64_t previous = -1;
  for (std::size_t t = 0; t < data->size(); ++t) {
    const json& entry = (*data)[t];
    std::string where = "router_data[" + std::to_string(t) + "]";
    if (!entry.is_object() || entry.size() != 1)
      throw InputError(file, where, "expected one {\"token_<position>\": {...}} object");
    const std::string key = entry.begin().key();
    where += " (" + key + ")";
    const std::int64_t pos = token_position(key);
    if (pos < 0) throw InputError(file, where, "key is not token_<position>");
    if (t == 0) rec.first_position = pos;
    if (t > 0 && pos != previous + 1)
      throw InputError(
          file, where,
          "follows token_" + std::to_string(previous) + " (tokens must be consecutive, in order)");
    previous = pos;
    const json& layers = entry.begin().value();
    if (!layers.is_object()) throw InputError(file, where, "not an object of layers");
    if (shape.layers == 0) shape.layers = static_cast<std::int64_t>(layers.size());
    if (static_cast<std::int64_t>(layers.size()) != shape.layers)
      throw InputError(file, where,
                       std::to_string(layers.size()) + " layers where earlier tokens have " +
                           std::to_string(shape.layers));
    for (std::int64_t l = 0; l < shape.layers; ++l) {
      const std::string name = "layer_" + std::to_string(l);
      const auto layer = layers.find(name);
      if (layer == layers.end()) throw InputError(file, where, name + " missing");
      read_layer(*layer, file, where + " " + name, experts, shape, rec);
    }
    ++rec.tokens;
  }
  return rec;
}

}  // namespace

RoutingTrace import_gpt_oss(const std::string& path, std::int64_t experts) {
  std::vector<std::pair<std::string, std::string>> files;  // (source name, path)
  if (fs::is_directory(path)) {
    for (const auto& e : fs::recursive_directory_iterator(path))
      if (e.is_regular_file() && is_json_name(e.path().filename().string()))
        files.emplace_back(fs::relative(e.path(), path).generic_string(), e.path().string());
    // Sorted path order: the same request numbering on every machine and every run.
    std::sort(files.begin(), files.end());
    if (files.empty()) throw InputError(path, "", "no .json or .json.gz files in this folder");
  } else if (fs::is_regular_file(path)) {
    files.emplace_back(fs::path(path).filename().string(), path);
  } else {
    throw InputError(path, "", "no such file or folder");
  }
  Shape shape;
  std::vector<Recording> recs;
  std::int64_t largest = -1;
  for (const auto& [name, file] : files) {
    recs.push_back(read_request(file, experts, shape));
    for (auto e : recs.back().expert) largest = std::max<std::int64_t>(largest, e);
  }
  RoutingTrace t;
  t.experts = experts > 0 ? experts : largest + 1;
  t.topk = shape.topk;
  t.layers = shape.layers;
  std::vector<std::int64_t> lengths;
  for (std::size_t s = 0; s < recs.size(); ++s) {
    lengths.push_back(recs[s].tokens);
    t.requests.push_back(TraceRequest{recs[s].first_position, recs[s].row_index, files[s].first});
  }
  t.shape(std::move(lengths));
  const auto k = static_cast<std::size_t>(t.topk);
  for (std::size_t s = 0; s < recs.size(); ++s) {
    const Recording& rec = recs[s];
    for (std::int64_t p = 0; p < rec.tokens; ++p)
      for (std::int64_t l = 0; l < t.layers; ++l) {
        const std::size_t from = static_cast<std::size_t>(p * t.layers + l) * k;
        const std::size_t to = t.row(l, static_cast<std::int64_t>(s), p);
        std::copy_n(rec.expert.begin() + static_cast<std::ptrdiff_t>(from), k,
                    t.expert.begin() + static_cast<std::ptrdiff_t>(to));
        std::copy_n(rec.weight.begin() + static_cast<std::ptrdiff_t>(from), k,
                    t.weight.begin() + static_cast<std::ptrdiff_t>(to));
      }
  }
  return t;
}

std::vector<std::string> trace_formats() {
  return {"auto", "flame", "gpt-oss"};
}

std::string detect_trace_format(const std::string& path) {
  if (fs::is_directory(fs::path(path) / "decode")) return "flame";
  if (fs::is_directory(path) ||
      (fs::is_regular_file(path) && is_json_name(fs::path(path).filename().string())))
    return "gpt-oss";
  throw InputError(path, "",
                   "cannot tell the trace format (a FLAME folder has decode/, GPT-OSS "
                   "recordings are .json or .json.gz files); name it with --format");
}

RoutingTrace import_trace(const std::string& format, const std::string& path,
                          std::int64_t experts) {
  const std::string f = format == "auto" ? detect_trace_format(path) : format;
  if (f == "flame") return import_flame_decode(path);
  if (f == "gpt-oss") return import_gpt_oss(path, experts);
  throw InputError(path, "--format", "unknown trace format '" + format + "'");
}

}  // namespace sievesim
