#include "io/timeline.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "base/error.hpp"
#include "base/h5_util.hpp"
#include "base/params.hpp"
#include "io/result_file.hpp"
#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

using json = nlohmann::json;
using h5::Handle;

// Track ids (threads) within a node's process, top to bottom in the viewer.
enum Track : int { kLayers = 1, kGpu, kPim, kSend, kRecv };
const std::map<int, const char*> kTrackNames = {{kLayers, "layers (critical path)"},
                                                {kGpu, "GPU"},
                                                {kPim, "PIM"},
                                                {kSend, "link send"},
                                                {kRecv, "link recv"}};

struct Run {
  Handle group;  // the file itself for a file of one run
  std::string name;
};

Run pick_run(hid_t file, const std::string& path, const std::string& point) {
  if (H5Lexists(file, "runs", H5P_DEFAULT) <= 0) {
    if (!point.empty())
      throw InputError(path, "--point", "the file holds one run, not a comparison or sweep");
    return {Handle(H5Oopen(file, ".", H5P_DEFAULT), H5Oclose, "H5Oopen"), ""};
  }
  Handle runs(H5Gopen2(file, "runs", H5P_DEFAULT), H5Gclose, "H5Gopen2(runs)");
  const auto names = run_names(runs);
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  if (point.empty() && names.size() != 1)
    throw InputError(
        path, "--point",
        "the file holds " + std::to_string(names.size()) + " runs; name one of: " + list);
  const std::string name = point.empty() ? names.front() : point;
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw InputError(path, "--point", "no run '" + name + "'; the runs are: " + list);
  return {Handle(H5Gopen2(runs, name.c_str(), H5P_DEFAULT), H5Gclose, "H5Gopen2(run)"), name};
}

// Where the run's scheduler put decode attention: its resolved configuration says.
bool attention_on_pim(hid_t run, const std::string& path) {
  try {
    const YAML::Node root = YAML::Load(h5::read_attr_string(run, "config"));
    return make_scheduler(Params(root, path, "").child("scheduler"))->attention_on_pim();
  } catch (const YAML::Exception& e) {
    throw InputError(path, "config", std::string("unreadable configuration: ") + e.what());
  }
}

// The /layers columns, one vector each.
struct Layers {
  std::map<std::string, std::vector<std::int64_t>> col;
  std::int64_t at(const char* name, std::size_t i) const { return col.at(name)[i]; }
};

Layers read_layers(hid_t run, const std::string& path) {
  if (H5Lexists(run, "layers", H5P_DEFAULT) <= 0)
    throw InputError(path, "/layers",
                     "the run has no per-layer data; rerun it with output.layers: true");
  Handle g(H5Gopen2(run, "layers", H5P_DEFAULT), H5Gclose, "H5Gopen2(layers)");
  Layers l;
  for (const char* c :
       {"iteration", "layer", "node", "start_ps", "attention_end_ps", "dispatch_end_ps",
        "experts_end_ps", "end_ps", "gpu_busy_ps", "pim_busy_ps", "sched_ps", "tokens_in",
        "tokens_out", "experts_gpu", "experts_pim", "tokens_gpu", "tokens_pim", "bytes_sent"})
    l.col[c] = h5::read_column(g, c);
  return l;
}

// MoE layers are those /expert_load lists; the others run a dense FFN.
std::set<std::int64_t> moe_layers(hid_t run) {
  Handle g(H5Gopen2(run, "expert_load", H5P_DEFAULT), H5Gclose, "H5Gopen2(expert_load)");
  const auto layer = h5::read_column(g, "layer");
  return {layer.begin(), layer.end()};
}

// Writes the complete ("X") events of one node. The trace format counts microseconds; times are
// cut to whole nanoseconds so that a child's end never passes its parent's in floating point.
class NodeWriter {
 public:
  NodeWriter(json& events, std::int64_t node) : events_(events), pid_(node + 1) {}

  // On the resource tracks a slice starts no earlier than the previous one ended: /layers
  // records each layer's instants, not each kernel, and a phase of one layer (its experts) may
  // run past the start of the next layer's.
  void slice(int track, const std::string& name, std::int64_t begin_ps, std::int64_t end_ps,
             json args) {
    std::int64_t b = begin_ps / 1000, e = end_ps / 1000;
    if (track != kLayers) b = std::max(b, free_ns_[track]);
    if (e <= b) return;
    if (track != kLayers) free_ns_[track] = e;
    events_.push_back({{"name", name},
                       {"cat", kTrackNames.at(track)},
                       {"ph", "X"},
                       {"ts", static_cast<double>(b) / 1e3},
                       {"dur", static_cast<double>(e - b) / 1e3},
                       {"pid", pid_},
                       {"tid", track},
                       {"args", std::move(args)}});
  }

 private:
  json& events_;
  std::int64_t pid_;
  std::map<int, std::int64_t> free_ns_;
};

void metadata(json& events, std::int64_t node) {
  const std::int64_t pid = node + 1;
  events.push_back({{"name", "process_name"},
                    {"ph", "M"},
                    {"pid", pid},
                    {"args", {{"name", "node " + std::to_string(node)}}}});
  events.push_back(
      {{"name", "process_sort_index"}, {"ph", "M"}, {"pid", pid}, {"args", {{"sort_index", pid}}}});
  for (const auto& [tid, name] : kTrackNames) {
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", pid},
                      {"tid", tid},
                      {"args", {{"name", name}}}});
    events.push_back({{"name", "thread_sort_index"},
                      {"ph", "M"},
                      {"pid", pid},
                      {"tid", tid},
                      {"args", {{"sort_index", tid}}}});
  }
}

double us(std::int64_t ps) {
  return static_cast<double>(ps) / 1e6;
}

// One layer of one node: the critical path split at the recorded instants, and the phases on
// the units that run them.
void layer_events(NodeWriter& w, const Layers& t, std::size_t i, bool moe, bool pim_attention) {
  const std::int64_t it = t.at("iteration", i), layer = t.at("layer", i);
  const std::int64_t s = t.at("start_ps", i), a = t.at("attention_end_ps", i),
                     e = t.at("end_ps", i), d = t.at("dispatch_end_ps", i),
                     x = t.at("experts_end_ps", i);
  const json id = {{"iteration", it}, {"layer", layer}};
  json all = id;
  for (const char* c : {"tokens_in", "tokens_out", "experts_gpu", "experts_pim", "tokens_gpu",
                        "tokens_pim", "bytes_sent"})
    all[c] = t.at(c, i);
  for (const char* c : {"gpu_busy_ps", "pim_busy_ps", "sched_ps"})
    all[std::string(c, std::string(c).size() - 3) + "_us"] = us(t.at(c, i));
  for (const char* c :
       {"start_ps", "attention_end_ps", "dispatch_end_ps", "experts_end_ps", "end_ps"})
    all[c] = t.at(c, i);
  w.slice(kLayers, "layer " + std::to_string(layer) + (moe ? "" : " (dense)"), s, e, all);
  // Children within [s, e]: a node's experts (serving other nodes' tokens) may outlast it.
  const std::int64_t dc = std::clamp(d, a, e), xc = std::clamp(x, dc, e);
  w.slice(kLayers, "attention + router", s, a, id);
  w.slice(kGpu, "attention + router", s, a, id);
  if (pim_attention) w.slice(kPim, "attention", s, a, id);
  if (!moe) {
    w.slice(kLayers, "dense FFN", a, e, id);
    w.slice(kGpu, "dense FFN", a, e, id);
    return;
  }
  w.slice(kLayers, "dispatch", a, dc, id);
  w.slice(kLayers, "experts", dc, xc, id);
  w.slice(kLayers, "combine", xc, e, id);
  auto with = [&](std::initializer_list<const char*> keys) {
    json j = id;
    for (const char* k : keys) j[k] = all[k];
    return j;
  };
  if (t.at("experts_gpu", i) > 0)
    w.slice(kGpu, "experts", d, x, with({"experts_gpu", "tokens_gpu", "gpu_busy_us"}));
  if (t.at("experts_pim", i) > 0)
    w.slice(kPim, "experts", d, x, with({"experts_pim", "tokens_pim", "pim_busy_us"}));
  // The messages of a phase are not recorded one by one: a slice spans the phase's window.
  // In time order per track (NodeWriter cuts a slice that starts before the last one ended).
  const bool sends = t.at("tokens_out", i) > 0, serves = t.at("tokens_in", i) > 0;
  if (sends) w.slice(kSend, "dispatch", a, d, with({"tokens_out", "bytes_sent"}));
  if (serves) w.slice(kRecv, "dispatch", a, d, with({"tokens_in"}));
  if (serves) w.slice(kSend, "combine", x, e, with({"tokens_in", "bytes_sent"}));
  if (sends) w.slice(kRecv, "combine", x, e, with({"tokens_out"}));
}

}  // namespace

IndexRange parse_index_range(const std::string& text, const std::string& option) {
  const auto colon = text.find(':');
  auto number = [&](const std::string& s, std::int64_t fallback) {
    if (s.empty()) return fallback;
    std::size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != s.size() || v < 0)
      throw InputError("", option, "expected A:B with non-negative integers, got '" + text + "'");
    return static_cast<std::int64_t>(v);
  };
  IndexRange r;
  if (colon == std::string::npos) {
    r.first = r.last = number(text.empty() ? "x" : text, 0);
  } else {
    r.first = number(text.substr(0, colon), 0);
    r.last = number(text.substr(colon + 1), r.last);
  }
  if (r.first > r.last) throw InputError("", option, "A:B with A > B ('" + text + "')");
  return r;
}

json timeline_trace(const std::string& path, const TimelineOptions& o) {
  const Handle file = open_result_file(path);
  try {
    const Run run = pick_run(file, path, o.point);
    const Layers t = read_layers(run.group, path);
    const bool pim_attention = attention_on_pim(run.group, path);
    const std::set<std::int64_t> moe = moe_layers(run.group);
    const auto& iter = t.col.at("iteration");
    const auto& node = t.col.at("node");
    std::int64_t it_max = -1, node_max = -1;
    for (std::size_t i = 0; i < iter.size(); ++i)
      it_max = std::max(it_max, iter[i]), node_max = std::max(node_max, node[i]);
    auto range = [](const IndexRange& r) {
      return std::to_string(r.first) + ":" +
             (r.last == IndexRange{}.last ? std::string() : std::to_string(r.last));
    };
    // Rows are node-major, then iteration, then layer: each node's rows come in time order.
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < iter.size(); ++i)
      if (o.iterations.contains(iter[i]) && o.nodes.contains(node[i])) rows.push_back(i);
    if (rows.empty()) {
      if (!std::any_of(iter.begin(), iter.end(), [&](auto v) { return o.iterations.contains(v); }))
        throw InputError(path, "--iterations",
                         "no iteration in " + range(o.iterations) +
                             "; /layers holds 0:" + std::to_string(it_max));
      throw InputError(
          path, "--nodes",
          "no node in " + range(o.nodes) + "; /layers holds 0:" + std::to_string(node_max));
    }
    json events = json::array();
    std::map<std::int64_t, NodeWriter> writers;
    // An iteration slice encloses its layers on the critical-path track.
    std::map<std::pair<std::int64_t, std::int64_t>, std::pair<std::int64_t, std::int64_t>> span;
    for (std::size_t i : rows) {
      auto [pos, added] = span.try_emplace({node[i], iter[i]}, t.at("start_ps", i), 0);
      pos->second.second = std::max(pos->second.second, t.at("end_ps", i));
    }
    for (std::size_t i : rows) {
      if (!writers.count(node[i])) {
        metadata(events, node[i]);
        writers.emplace(node[i], NodeWriter(events, node[i]));
      }
      NodeWriter& w = writers.at(node[i]);
      if (const auto sp = span.find({node[i], iter[i]}); sp != span.end()) {
        w.slice(kLayers, "iteration " + std::to_string(iter[i]), sp->second.first,
                sp->second.second, {{"iteration", iter[i]}});
        span.erase(sp);
      }
      layer_events(w, t, i, moe.count(t.at("layer", i)) > 0, pim_attention);
    }
    return {{"traceEvents", std::move(events)},
            {"displayTimeUnit", "ns"},
            {"otherData",
             {{"source", path},
              {"run", run.name},
              {"iterations", range(o.iterations)},
              {"nodes", range(o.nodes)},
              {"attention", pim_attention ? "pim" : "gpu"},
              {"note",
               "phases of each layer from /layers (start, attention_end, dispatch_end, "
               "experts_end, end); busy times in args"}}}};
  } catch (const h5::Error& e) {
    throw InputError(path, "", std::string("not a readable sievesim result (") + e.what() + ")");
  }
}

}  // namespace sievesim
