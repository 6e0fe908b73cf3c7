#include "workload/trace.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>
#include <string_view>

#include "base/error.hpp"

namespace sievesim {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

template <class T>
T number(const std::string& s, const std::string& file, std::int64_t line, const char* what) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    throw InputError(file, "line " + std::to_string(line),
                     std::string("expected ") + what + ", got '" + s + "'");
  return v;
}

// Lines of a gzip (or plain) file.
std::vector<std::string> read_lines_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw InputError(path, "", "cannot open trace file");
  std::vector<std::string> lines;
  std::string cur;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) {
    for (int i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        lines.push_back(cur);
        cur.clear();
      } else {
        cur += buf[i];
      }
    }
  }
  // A stream cut short reads as far as it goes and says so only through gzerror.
  int code = Z_OK;
  gzerror(f, &code);
  const bool failed = n < 0 || (code != Z_OK && code != Z_STREAM_END);
  gzclose(f);
  if (failed) throw InputError(path, "", "corrupt gzip data");
  if (!cur.empty()) lines.push_back(cur);
  return lines;
}

// Lines of a trace file, gzip or plain (zlib reads plain files as they are), one at a time: a
// request-level trace has about a million rows.
class TraceLines {
 public:
  explicit TraceLines(const std::string& path) : path_(path), f_(gzopen(path.c_str(), "rb")) {
    if (!f_) throw InputError(path, "", "cannot open trace file");
    gzbuffer(f_, 1 << 17);
  }
  ~TraceLines() { gzclose(f_); }
  TraceLines(const TraceLines&) = delete;
  TraceLines& operator=(const TraceLines&) = delete;

  // The next line without its end of line; false at the end of the file.
  bool next(std::string& line) {
    line.clear();
    char buf[4096];
    while (gzgets(f_, buf, sizeof buf) != nullptr) {
      line += buf;
      if (line.back() == '\n') {
        line.pop_back();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return true;
      }
    }
    int code = Z_OK;
    const std::string why = gzerror(f_, &code);
    if (code != Z_OK && code != Z_STREAM_END)
      throw InputError(path_, "", "corrupt gzip data (" + why + ")");
    return !line.empty();
  }

 private:
  std::string path_;
  gzFile f_;
};

}  // namespace

void RoutingTrace::shape(std::vector<std::int64_t> lengths) {
  length = std::move(lengths);
  sequences = static_cast<std::int64_t>(length.size());
  start.assign(length.size(), 0);
  tokens = 0;
  positions = 0;
  for (std::size_t s = 0; s < length.size(); ++s) {
    start[s] = tokens;
    tokens += length[s];
    positions = std::max(positions, length[s]);
  }
  expert.assign(static_cast<std::size_t>(layers * tokens * topk), -1);
  weight.assign(expert.size(), 0.0f);
}

namespace {

// The header lines `name,value` (any order, each once) into the named fields.
void read_header(TraceLines& in, const std::string& path, std::int64_t& no,
                 const std::map<std::string, std::int64_t*>& header) {
  std::string names;
  for (const auto& [name, field] : header) names += (names.empty() ? "" : ", ") + name;
  std::string line;
  std::vector<std::string> seen;
  for (std::size_t h = 0; h < header.size(); ++h) {
    if (!in.next(line))
      throw InputError(path, "line " + std::to_string(no + 1), "truncated header");
    ++no;
    const auto f = split_csv(line);
    auto it = header.find(f[0]);
    if (f.size() != 2 || it == header.end() ||
        std::find(seen.begin(), seen.end(), f[0]) != seen.end())
      throw InputError(path, "line " + std::to_string(no),
                       "expected 'name,value' with name one of " + names + " (each once)");
    seen.push_back(f[0]);
    *it->second = number<std::int64_t>(f[1], path, no, "a positive integer");
    if (*it->second < 1 || *it->second > (1 << 24))
      throw InputError(path, "line " + std::to_string(no), f[0] + " out of range");
  }
}

// Version 2's request table: R rows `request,tokens,first_position,row_index,source`.
std::vector<std::int64_t> read_request_table(TraceLines& in, const std::string& path,
                                             std::int64_t& no, RoutingTrace& t,
                                             std::int64_t requests) {
  std::string line;
  if (!in.next(line) || line.rfind("request,tokens,first_position,row_index,source", 0))
    throw InputError(path, "line " + std::to_string(no + 1),
                     "expected the request table header "
                     "'request,tokens,first_position,row_index,source'");
  ++no;
  std::vector<std::int64_t> lengths;
  for (std::int64_t r = 0; r < requests; ++r) {
    if (!in.next(line))
      throw InputError(path, "line " + std::to_string(no + 1),
                       "request table ends after " + std::to_string(r) + " of " +
                           std::to_string(requests) + " requests");
    ++no;
    auto f = split_csv(line);
    if (f.size() < 5)
      throw InputError(path, "line " + std::to_string(no),
                       "expected request,tokens,first_position,row_index,source");
    if (number<std::int64_t>(f[0], path, no, "a request index") != r)
      throw InputError(path, "line " + std::to_string(no),
                       "expected request " + std::to_string(r) + " (rows in order)");
    const auto tokens = number<std::int64_t>(f[1], path, no, "a token count");
    if (tokens < 1 || tokens > (1 << 24))
      throw InputError(path, "line " + std::to_string(no), "tokens out of range");
    lengths.push_back(tokens);
    TraceRequest q;
    q.first_position = number<std::int64_t>(f[2], path, no, "a first position");
    q.row_index = number<std::int64_t>(f[3], path, no, "a row index");
    // The source is the rest of the line (a path may contain commas).
    q.source = line.substr(f[0].size() + f[1].size() + f[2].size() + f[3].size() + 4);
    if (!q.source.empty() && q.source.back() == '\r') q.source.pop_back();
    t.requests.push_back(std::move(q));
  }
  return lengths;
}

// Splits a row into `fields` without allocating (rows are read by the million).
void split_row(const std::string& line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t from = 0;
  std::size_t end = line.size();
  if (end > 0 && line[end - 1] == '\r') --end;
  for (std::size_t i = 0; i <= end; ++i)
    if (i == end || line[i] == ',') {
      fields.emplace_back(line.data() + from, i - from);
      from = i + 1;
    }
}

template <class T>
T field(std::string_view s, const std::string& file, std::int64_t line, const char* what) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    throw InputError(file, "line " + std::to_string(line),
                     std::string("expected ") + what + ", got '" + std::string(s) + "'");
  return v;
}

}  // namespace

RoutingTrace read_trace(const std::string& path) {
  TraceLines in(path);
  RoutingTrace t;
  std::string line;
  std::int64_t no = 1;
  int version = 0;
  if (in.next(line)) {
    if (line == "# sievesim-trace 1") version = 1;
    if (line == "# sievesim-trace 2") version = 2;
  }
  if (version == 0)
    throw InputError(
        path, "line 1",
        "not a sievesim trace (expected '# sievesim-trace 1' or '# sievesim-trace 2')");
  std::vector<std::int64_t> lengths;
  if (version == 1) {
    read_header(in, path, no,
                {{"experts", &t.experts},
                 {"topk", &t.topk},
                 {"sequences", &t.sequences},
                 {"positions", &t.positions},
                 {"layers", &t.layers}});
    lengths.assign(static_cast<std::size_t>(t.sequences), t.positions);
  } else {
    std::int64_t requests = 0;
    read_header(in, path, no,
                {{"experts", &t.experts},
                 {"topk", &t.topk},
                 {"layers", &t.layers},
                 {"requests", &requests}});
    lengths = read_request_table(in, path, no, t, requests);
  }
  if (t.topk > t.experts) throw InputError(path, "topk", "larger than experts");
  if (!in.next(line))
    throw InputError(path, "line " + std::to_string(no + 1), "missing column header");
  ++no;
  t.shape(std::move(lengths));
  const std::size_t rows = static_cast<std::size_t>(t.layers * t.tokens);
  std::vector<bool> seen(rows, false);
  const auto k = static_cast<std::size_t>(t.topk);
  std::vector<std::string_view> f;
  while (in.next(line)) {
    ++no;
    if (line.empty()) continue;
    split_row(line, f);
    if (f.size() != 3 + 2 * k)
      throw InputError(
          path, "line " + std::to_string(no),
          "expected " + std::to_string(3 + 2 * k) + " columns, got " + std::to_string(f.size()));
    const auto l = field<std::int64_t>(f[0], path, no, "a layer index");
    const auto s = field<std::int64_t>(f[1], path, no, "a sequence index");
    const auto p = field<std::int64_t>(f[2], path, no, "a position");
    if (l < 0 || l >= t.layers || s < 0 || s >= t.sequences || p < 0 ||
        p >= t.length[static_cast<std::size_t>(s)])
      throw InputError(path, "line " + std::to_string(no),
                       "layer, sequence or position out of range");
    const std::size_t r = t.row(l, s, p);
    if (seen[r / k])
      throw InputError(path, "line " + std::to_string(no), "duplicate (layer, sequence, position)");
    seen[r / k] = true;
    for (std::size_t j = 0; j < k; ++j) {
      const auto e = field<std::int32_t>(f[3 + j], path, no, "an expert id");
      if (e < 0 || e >= t.experts)
        throw InputError(path, "line " + std::to_string(no), "expert id out of range");
      if (std::find(t.expert.begin() + static_cast<std::ptrdiff_t>(r),
                    t.expert.begin() + static_cast<std::ptrdiff_t>(r + j),
                    e) != t.expert.begin() + static_cast<std::ptrdiff_t>(r + j))
        throw InputError(path, "line " + std::to_string(no), "expert listed twice in one row");
      t.expert[r + j] = e;
      const auto w = field<float>(f[3 + k + j], path, no, "a weight");
      if (!std::isfinite(w))
        throw InputError(path, "line " + std::to_string(no),
                         "weight '" + std::string(f[3 + k + j]) + "' is not a finite number");
      if (w < 0) throw InputError(path, "line " + std::to_string(no), "negative weight");
      t.weight[r + j] = w;
    }
  }
  if (std::find(seen.begin(), seen.end(), false) != seen.end())
    throw InputError(path, "", "some (layer, sequence, position) rows are missing");
  return t;
}

namespace {

void write_v1(const RoutingTrace& t, std::ostream& out) {
  out << "# sievesim-trace 1\nexperts," << t.experts << "\ntopk," << t.topk << "\nsequences,"
      << t.sequences << "\npositions," << t.positions << "\nlayers," << t.layers
      << "\nlayer,sequence,position";
  for (std::int64_t j = 0; j < t.topk; ++j) out << ",expert_" << j;
  for (std::int64_t j = 0; j < t.topk; ++j) out << ",weight_" << j;
  out << "\n";
  for (std::int64_t l = 0; l < t.layers; ++l)
    for (std::int64_t s = 0; s < t.sequences; ++s)
      for (std::int64_t p = 0; p < t.positions; ++p) {
        const std::size_t r = t.row(l, s, p);
        out << l << ',' << s << ',' << p;
        for (std::int64_t j = 0; j < t.topk; ++j)
          out << ',' << t.expert[r + static_cast<std::size_t>(j)];
        for (std::int64_t j = 0; j < t.topk; ++j)
          out << ',' << t.weight[r + static_cast<std::size_t>(j)];
        out << '\n';
      }
}

void write_v2(const RoutingTrace& t, std::ostream& out) {
  out << "# sievesim-trace 2\nexperts," << t.experts << "\ntopk," << t.topk << "\nlayers,"
      << t.layers << "\nrequests," << t.sequences
      << "\nrequest,tokens,first_position,row_index,source\n";
  for (std::int64_t s = 0; s < t.sequences; ++s) {
    const auto& q = t.requests[static_cast<std::size_t>(s)];
    out << s << ',' << t.length[static_cast<std::size_t>(s)] << ',' << q.first_position << ','
        << q.row_index << ',' << q.source << '\n';
  }
  out << "layer,request,position";
  for (std::int64_t j = 0; j < t.topk; ++j) out << ",expert_" << j;
  for (std::int64_t j = 0; j < t.topk; ++j) out << ",weight_" << j;
  out << "\n";
  std::string row;
  char buf[32];
  for (std::int64_t l = 0; l < t.layers; ++l)
    for (std::int64_t s = 0; s < t.sequences; ++s)
      for (std::int64_t p = 0; p < t.length[static_cast<std::size_t>(s)]; ++p) {
        const std::size_t r = t.row(l, s, p);
        row = std::to_string(l) + ',' + std::to_string(s) + ',' + std::to_string(p);
        for (std::int64_t j = 0; j < t.topk; ++j)
          row += ',' + std::to_string(t.expert[r + static_cast<std::size_t>(j)]);
        for (std::int64_t j = 0; j < t.topk; ++j) {
          // Shortest form that reads back as the same float.
          const auto res =
              std::to_chars(buf, buf + sizeof buf, t.weight[r + static_cast<std::size_t>(j)]);
          row += ',';
          row.append(buf, res.ptr);
        }
        row += '\n';
        out << row;
      }
}

}  // namespace

void write_trace(const RoutingTrace& t, std::ostream& out) {
  if (t.request_level())
    write_v2(t, out);
  else
    write_v1(t, out);
}

void write_trace_file(const RoutingTrace& t, const std::string& path) {
  // Written aside and renamed, so a failed import leaves no file that looks complete.
  const std::string partial = path + ".partial";
  std::ostringstream text;
  write_trace(t, text);
  const std::string& bytes = text.str();
  const bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  gzFile f = gzopen(partial.c_str(), gz ? "wb6" : "wbT");  // T: plain, no gzip wrapper
  if (!f) throw InputError(path, "-o", "cannot write");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto n = static_cast<unsigned>(std::min<std::size_t>(bytes.size() - done, 1u << 30));
    if (gzwrite(f, bytes.data() + done, n) != static_cast<int>(n)) {
      gzclose(f);
      std::remove(partial.c_str());
      throw InputError(path, "-o", "write failed");
    }
    done += n;
  }
  if (gzclose(f) != Z_OK) {
    std::remove(partial.c_str());
    throw InputError(path, "-o", "write failed");
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0)
    throw InputError(path, "-o", "cannot rename " + partial + " to it");
}

RoutingTrace import_flame_decode(const std::string& dir) {
  const fs::path decode = fs::path(dir) / "decode";
  if (!fs::is_directory(decode)) throw InputError(dir, "", "no decode/ folder of FLAME traces");
  // posNN_layerLL.csv.gz -> (position, layer)
  std::map<std::pair<int, int>, std::string> files;
  for (const auto& e : fs::directory_iterator(decode)) {
    const std::string name = e.path().filename().string();
    int pos = 0, layer = 0;
    if (std::sscanf(name.c_str(), "pos%d_layer%d.csv.gz", &pos, &layer) == 2)
      files[{layer, pos}] = e.path().string();
  }
  if (files.empty()) throw InputError(decode.string(), "", "no posNN_layerLL.csv.gz files");
  std::vector<int> layers, positions;
  for (const auto& [key, path] : files) {
    if (std::find(layers.begin(), layers.end(), key.first) == layers.end())
      layers.push_back(key.first);
    if (std::find(positions.begin(), positions.end(), key.second) == positions.end())
      positions.push_back(key.second);
  }
  std::sort(layers.begin(), layers.end());
  std::sort(positions.begin(), positions.end());
  if (files.size() != layers.size() * positions.size())
    throw InputError(decode.string(), "", "the (position, layer) files do not form a full grid");
  RoutingTrace t;
  t.layers = static_cast<std::int64_t>(layers.size());
  t.positions = static_cast<std::int64_t>(positions.size());
  for (std::size_t li = 0; li < layers.size(); ++li) {
    for (std::size_t pi = 0; pi < positions.size(); ++pi) {
      const std::string& path = files.at({layers[li], positions[pi]});
      const auto lines = read_lines_gz(path);
      if (lines.size() < 2) throw InputError(path, "", "no rows");
      const auto head = split_csv(lines[0]);
      const auto experts = static_cast<std::int64_t>(head.size()) - 2;
      if (experts < 1 || head[0] != "layer_id" || head[1] != "token_id")
        throw InputError(path, "line 1", "expected layer_id,token_id,expert_0,...");
      const auto seqs = static_cast<std::int64_t>(lines.size()) - 1;
      if (t.experts == 0) {
        t.experts = experts;
        t.sequences = seqs;
      } else if (t.experts != experts || t.sequences != seqs) {
        throw InputError(path, "", "expert or row count differs from the other files");
      }
      for (std::int64_t s = 0; s < seqs; ++s) {
        const auto f = split_csv(lines[static_cast<std::size_t>(s + 1)]);
        if (static_cast<std::int64_t>(f.size()) != experts + 2)
          throw InputError(path, "line " + std::to_string(s + 2), "wrong number of columns");
        std::vector<std::pair<float, std::int32_t>> chosen;
        for (std::int64_t e = 0; e < experts; ++e) {
          const auto w =
              number<float>(f[static_cast<std::size_t>(e + 2)], path, s + 2, "a probability");
          if (w > 0) chosen.emplace_back(w, static_cast<std::int32_t>(e));
        }
        if (t.topk == 0) {
          t.topk = static_cast<std::int64_t>(chosen.size());
          t.shape(std::vector<std::int64_t>(static_cast<std::size_t>(t.sequences), t.positions));
        }
        if (static_cast<std::int64_t>(chosen.size()) != t.topk)
          throw InputError(path, "line " + std::to_string(s + 2),
                           "expected " + std::to_string(t.topk) + " non-zero experts, got " +
                               std::to_string(chosen.size()));
        // Highest router probability first, as a router ranks them.
        std::stable_sort(chosen.begin(), chosen.end(),
                         [](auto& a, auto& b) { return a.first > b.first; });
        const std::size_t r =
            t.row(static_cast<std::int64_t>(li), s, static_cast<std::int64_t>(pi));
        for (std::size_t j = 0; j < chosen.size(); ++j) {
          t.expert[r + j] = chosen[j].second;
          t.weight[r + j] = chosen[j].first;
        }
      }
    }
  }
  return t;
}

}  // namespace sievesim
