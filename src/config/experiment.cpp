#include "config/experiment.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.hpp"
#include "base/yaml_keys.hpp"
#include "sched/scheduler.hpp"

namespace sievesim {
namespace fs = std::filesystem;
namespace {

YAML::Node load_yaml(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "", "cannot open experiment file");
  std::stringstream text;
  text << in.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    throw InputError(path, "",
                     "malformed YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  reject_duplicate_keys(root, path);
  return root;
}

std::string resolve_path(const std::string& base_dir, const std::string& name) {
  fs::path p(name);
  if (p.is_relative()) p = fs::path(base_dir) / p;
  return p.lexically_normal().string();
}

void read_system(const Params& sys, Experiment& x) {
  x.nodes = sys.param<std::int64_t>("nodes")
                .min(1)
                .max(1 << 20)
                .desc("simulated GPUs, each with its PIM stacks (= MPI ranks x nodes per rank)")
                .required();
  x.gpus_per_server =
      sys.param<std::int64_t>("gpus_per_server")
          .min(1)
          .desc("GPUs joined by the scale-up fabric; servers are joined by the scale-out one")
          .dflt(8);
  if (x.nodes > x.gpus_per_server && x.nodes % x.gpus_per_server != 0)
    sys.fail("nodes", "expected a multiple of gpus_per_server (" +
                          std::to_string(x.gpus_per_server) + "), got " + std::to_string(x.nodes));
  x.dispatch_per_expert =
      sys.param<std::string>("dispatch")
          .one_of({"per-destination", "per-expert"})
          .desc(
              "a token is sent once per destination GPU (normal all-to-all kernels) or once per "
              "selected expert (low-latency decode kernels); the combine mirrors it")
          .dflt("per-destination") == "per-expert";
  x.micro_batches = sys.param<std::int64_t>("micro_batches")
                        .min(1)
                        .max(2)
                        .desc(
                            "micro-batches per node: 2 splits each node's batch by requests into "
                            "two halves whose layers alternate, so one's attention and exchanges "
                            "overlap the other's experts (each pays its own kernels)")
                        .dflt(1);
  x.count_engine = sys.param<std::string>("engine")
                       .one_of({"tokens", "counts"})
                       .desc(
                           "tokens: every token's experts are drawn and exchanged (the "
                           "reference); counts: each node's tokens per expert are drawn and "
                           "exchanged, statistically equivalent and much faster (synthetic "
                           "routing, even replica dispatch; docs/engines.md)")
                       .dflt("tokens") == "counts";
}

void read_model(const Params& mod, Experiment& x) {
  x.model_config = resolve_path(
      x.base_dir, mod.param<std::string>("config")
                      .desc("the model's Hugging Face config.json, relative to the experiment file")
                      .required());
  if (!mod.describing() && !fs::exists(x.model_config))
    mod.fail("config", "model config '" + x.model_config + "' does not exist");
  // The checkpoint's formats by default; a name stores every weight in that dtype instead (the
  // Sieve paper runs every model in BF16, so its setups say `weight_dtype: bf16`).
  x.weight_dtype = mod.param<std::string>("weight_dtype")
                       .one_of({"checkpoint", "bf16", "fp16", "fp8", "mxfp4"})
                       .desc(
                           "the dtype every weight is stored in; checkpoint: the config's own "
                           "(e.g. MXFP4 experts of GPT-OSS)")
                       .dflt("checkpoint");
}

void read_workload(const Params& wl, const Params& bat, Experiment& x) {
  const std::string mode =
      wl.param<std::string>("mode")
          .one_of({"serve", "decode", "prefill"})
          .desc(
              "serve: prompts prefilled then decoded; decode: prompts already in the KV cache; "
              "prefill: prompts only")
          .dflt("serve");
  BatchConfig& b = x.workload.batching;
  b.mode = mode == "decode"    ? ServeMode::kDecode
           : mode == "prefill" ? ServeMode::kPrefill
                               : ServeMode::kServe;
  x.workload.seed = static_cast<std::uint64_t>(
      wl.param<std::int64_t>("seed")
          .min(0)
          .desc("seed of every random stream (arrivals, lengths, routing); results depend only "
                "on it and the configuration")
          .dflt(1));
  x.workload.warmup_iterations =
      wl.param<std::int64_t>("warmup_iterations")
          .min(0)
          .max(1 << 24)
          .desc("iterations simulated but left out of throughput and latency")
          .dflt(0);
  x.workload.max_iterations =
      wl.param<std::int64_t>("max_iterations")
          .min(0)
          .desc("stop after this many iterations even with requests left; 0: run to the end")
          .dflt(0);
  b.max_tokens = bat.param<std::int64_t>("max_tokens")
                     .min(1)
                     .max(1 << 24)
                     .desc("tokens per node per iteration (decode tokens + prefill chunks)")
                     .dflt(8192);
  b.max_requests = bat.param<std::int64_t>("max_requests")
                       .min(0)
                       .max(1 << 24)
                       .desc("running requests per node; 0: as many as the KV cache holds")
                       .dflt(0);
  b.warmup_iterations = x.workload.warmup_iterations;
  x.workload.hbm_utilization =
      bat.param<double>("hbm_utilization")
          .above(0)
          .max(1)
          .desc(
              "share of HBM the weights and the KV cache may fill (the rest: activations, "
              "runtime)")
          .dflt(0.9);
}

void read_rebalance(const Params& pl, Experiment& x) {
  x.rebalance.every_iterations =
      pl.param<std::int64_t>("rebalance_every")
          .min(0)
          .desc(
              "iterations between re-placements from the measured loads; 0: the initial "
              "placement stays")
          .dflt(0);
  x.rebalance.background =
      pl.param<std::string>("migration")
          .one_of({"stall", "background"})
          .desc(
              "stall: the cluster waits while weights move; background: they move on a share "
              "of the links while serving")
          .dflt("stall") == "background";
  x.rebalance.background_share = pl.param<double>("background_share")
                                     .above(0)
                                     .max(1)
                                     .desc("share of the link bandwidth background migrations use")
                                     .dflt(0.25);
  const auto load = pl.param<std::string>("load_file")
                        .desc(
                            "expert loads (HDF5 /expert_load of an earlier run) the initial "
                            "placement balances; \"\": none")
                        .dflt("");
  if (!load.empty()) x.load_file = resolve_path(x.base_dir, load);
  if (pl.describing() || !load.empty())
    x.load_iterations = pl.param<std::int64_t>("load_iterations")
                            .min(1)
                            .desc(
                                "with load_file: the iterations its counts cover (unset: the "
                                "file's own)")
                            .optional();
}

void read_sweep(const Params& sw, Experiment& x) {
  const auto key = sw.param<std::string>("key")
                       .desc(
                           "the dotted key one run per value varies, e.g. "
                           "workload.requests.closed.concurrency; \"\": no sweep")
                       .dflt("");
  std::vector<std::string> values;
  // (An empty default list would not survive a YAML round trip of the resolved configuration.)
  if (sw.has("values") || !key.empty() || sw.describing())
    values = sw.scalar_list("values", "the values of the swept key, one run each");
  if (key.empty() != values.empty() && !sw.describing())
    sw.fail(key.empty() ? "key" : "values",
            "a sweep needs both `key` (a dotted key) and `values` (a list of numbers or names)");
  if (!key.empty()) x.sweep.push_back(SweepAxis{key, values});
  if (sw.describing())
    sw.document({"grid", "map", "{}", "dotted key: list of values",
                 "several swept keys, one run per combination (the first key outermost), e.g. "
                 "{workload.requests.closed.concurrency: [4, 64], placement.policy: [random, "
                 "eplb]}; instead of key and values",
                 nullptr});
  if (!sw.has("grid")) {
    check_sweep(x.sweep, sw.file(), "");
    return;
  }
  if (!key.empty()) sw.fail("grid", "give either `key` and `values` or `grid`, not both");
  const Params grid = sw.child("grid");
  for (const auto& kv : grid.input()) {
    const std::string k = kv.first.Scalar();
    x.sweep.push_back(SweepAxis{k, grid.scalar_list(k)});
  }
  if (x.sweep.empty()) sw.fail("grid", "expected at least one key: list of values");
  check_sweep(x.sweep, sw.file(), "sweep.grid.");
}

void read_output(const Params& top, Experiment& x) {
  const Params out = top.child("output");
  x.output_path = out.param<std::string>("path")
                      .desc("the HDF5 result file (written as PATH.partial, renamed when done)")
                      .dflt("sievesim-result.h5");
  if (x.output_path.empty()) out.fail("path", "expected a file name, got an empty string");
  x.output_layers =
      out.param<bool>("layers")
          .desc("write /layers, one row per node, iteration and layer (large for long runs)")
          .dflt(true);
  read_sweep(top.child("sweep"), x);
}

void read_sections(const Params& top, Experiment& x) {
  const Params sys = top.child("system"), mod = top.child("model"), wl = top.child("workload");
  const Params req = wl.child("requests"), bat = wl.child("batching"), rt = wl.child("routing");
  const Params sch = top.child("scheduler"), pl = top.child("placement");
  read_system(sys, x);
  read_model(mod, x);
  read_workload(wl, bat, x);
  read_rebalance(pl, x);
  read_output(top, x);
  // Read only when present, so runs without faults keep their resolved configuration.
  if (top.describing() || top.has("faults")) x.faults = read_faults(top.child("faults"), x.nodes);
  if (!x.faults.failures.empty() && x.rebalance.every_iterations > 0)
    top.child("faults").fail("fail_nodes",
                             "node failures with placement.rebalance_every are not supported: "
                             "the recovery re-placement would fight the rebalancer");
  if (!x.faults.failures.empty() && x.count_engine)
    top.child("faults").fail("fail_nodes",
                             "node failures need the token engine (system.engine: tokens): the "
                             "count engine does not drop or reroute pairs of lost experts");
  x.sections = std::make_shared<const Sections>(Sections{top, sys, mod, wl, req, bat, rt, sch, pl});
}

Experiment read_unchecked(const std::string& path, const std::vector<std::string>& overrides) {
  Experiment x;
  x.file = path;
  x.overrides = overrides;
  x.base_dir = fs::path(path).parent_path().string();
  YAML::Node root = load_yaml(path);
  auto overridden =
      std::make_shared<const std::set<std::string>>(apply_overrides(root, overrides, path));
  read_sections(Params(root, path, "", overridden), x);
  return x;
}

}  // namespace

void Experiment::close() {
  sections->root.reject_unknown_keys();
  YAML::Emitter em;
  em << sections->root.resolved();
  resolved_yaml = em.c_str();
}

ParamDocs describe_experiment() {
  auto docs = std::make_shared<ParamDocs>();
  Experiment x;
  const Params top = Params::describing(docs);
  read_sections(top, x);
  // The scheduler section's own keys (name, attention, overlap); each scheduler's parameters
  // are its registry entry's.
  make_scheduler(x.sections->scheduler);
  ParamDocs out;
  for (auto& d : *docs)
    if (d.key.rfind("scheduler.", 0) != 0 || d.key.find('.', 10) == std::string::npos)
      out.push_back(std::move(d));
  return out;
}

Experiment read_experiment(const std::string& path, const std::vector<std::string>& overrides) {
  try {
    return read_unchecked(path, overrides);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's own conversions (odd node kinds the checked readers did not expect).
    throw InputError(path, "", std::string("invalid YAML: ") + e.what());
  }
}

}  // namespace sievesim
