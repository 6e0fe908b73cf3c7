// Checked configuration reading: types, bounds, defaults, unknown keys, -p overrides, presets;
// the parameter docs (describing readers) and the construction counts of the registries.
#include <gtest/gtest.h>

#include <set>

#include "base/error.hpp"
#include "base/params.hpp"
#include "base/select.hpp"
#include "config/experiment.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/net/fabric_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "hw/preset.hpp"
#include "place/placement.hpp"
#include "place/replica_dispatch.hpp"
#include "sched/scheduler.hpp"
#include "workload/assignment.hpp"
#include "workload/requests.hpp"
#include "workload/routing.hpp"

namespace sievesim {
namespace {

Params parse(const std::string& yaml) {
  return Params(YAML::Load(yaml), "x.yaml");
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Params, ReadsTypedValuesAndDefaults) {
  const Params p = parse("a: 3\nb: 2.5\nc: true\nd: hello\n");
  EXPECT_EQ(p.param<std::int64_t>("a").min(1).required(), 3);
  EXPECT_DOUBLE_EQ(p.param<double>("b").dflt(1.0), 2.5);
  EXPECT_TRUE(p.param<bool>("c").dflt(false));
  EXPECT_EQ(p.param<std::string>("d").required(), "hello");
  EXPECT_EQ(p.param<std::int64_t>("missing").dflt(7), 7);
  // Every read, defaults included, lands in the resolved tree.
  EXPECT_EQ(p.resolved()["missing"].as<std::int64_t>(), 7);
  EXPECT_EQ(p.resolved()["a"].as<std::int64_t>(), 3);
}

TEST(Params, WrongTypeNamesFileKeyAndExpectation) {
  const Params p = parse("sys: {nodes: four, frac: 0.5x, flag: maybe}\n");
  const Params sys = p.child("sys");
  const auto e1 = error_of([&] { sys.param<std::int64_t>("nodes").required(); });
  EXPECT_NE(e1.find("x.yaml: sys.nodes: expected an integer"), std::string::npos) << e1;
  EXPECT_NE(e1.find("'four'"), std::string::npos) << e1;
  EXPECT_NE(error_of([&] { sys.param<double>("frac").required(); }).find("expected a number"),
            std::string::npos);
  EXPECT_NE(error_of([&] { sys.param<bool>("flag").required(); }).find("true or false"),
            std::string::npos);
  // 2.5 is not an integer.
  EXPECT_NE(error_of([&] { parse("n: 2.5").param<std::int64_t>("n").required(); }).find("integer"),
            std::string::npos);
}

TEST(Params, BoundsAndChoices) {
  const Params p = parse("n: -3\nx: 0\ns: zigzag\n");
  const auto e = error_of([&] { p.param<std::int64_t>("n").min(1).required(); });
  EXPECT_NE(e.find("n: expected an integer >= 1, got '-3'"), std::string::npos) << e;
  EXPECT_NE(error_of([&] { p.param<double>("x").above(0).required(); }).find("> 0"),
            std::string::npos);
  const auto c = error_of([&] { p.param<std::string>("s").one_of({"a", "b"}).required(); });
  EXPECT_NE(c.find("one of: a b"), std::string::npos) << c;
  EXPECT_NE(error_of([&] { p.param<std::int64_t>("absent").required(); }).find("missing required"),
            std::string::npos);
}

TEST(Params, UnknownKeysAreRejectedWithASuggestion) {
  const Params p = parse("system: {nodes: 4, nodse: 5}\nother: 1\n");
  const Params sys = p.child("system");
  sys.param<std::int64_t>("nodes").required();
  p.param<std::int64_t>("other").required();
  const auto e = error_of([&] { p.reject_unknown_keys(); });
  EXPECT_NE(e.find("x.yaml: system.nodse: unknown key 'nodse'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'nodes'"), std::string::npos) << e;

  const Params ok = parse("a: 1\n");
  ok.param<std::int64_t>("a").required();
  EXPECT_NO_THROW(ok.reject_unknown_keys());
  const Params top = parse("bogus: 1\n");
  EXPECT_NE(error_of([&] { top.reject_unknown_keys(); }).find("unknown key 'bogus'"),
            std::string::npos);
}

TEST(Params, OverridesCreatePathsAndAreNamedInErrors) {
  YAML::Node root = YAML::Load("system: {nodes: 4}\n");
  const auto paths =
      apply_overrides(root, {"system.nodes=8", "workload.routing.zipf_s=1.2"}, "x.yaml");
  EXPECT_EQ(root["system"]["nodes"].as<int>(), 8);
  EXPECT_DOUBLE_EQ(root["workload"]["routing"]["zipf_s"].as<double>(), 1.2);
  EXPECT_EQ(paths.count("system.nodes"), 1u);

  YAML::Node bad = YAML::Load("system: {nodes: 4}\n");
  auto ov = std::make_shared<const std::set<std::string>>(
      apply_overrides(bad, {"system.nodes=x"}, "x.yaml"));
  const Params p(bad, "x.yaml", "", ov);
  const auto e = error_of([&] { p.child("system").param<std::int64_t>("nodes").required(); });
  EXPECT_NE(e.find("set with -p"), std::string::npos) << e;

  YAML::Node r2 = YAML::Load("a: 1\n");
  EXPECT_NE(error_of([&] { apply_overrides(r2, {"novalue"}, "x.yaml"); }).find("key.path=value"),
            std::string::npos);
  EXPECT_NE(error_of([&] { apply_overrides(r2, {"a.b=1"}, "x.yaml"); }).find("not a section"),
            std::string::npos);
}

TEST(Presets, UserKeysOverrideThePresetAndUnknownPresetsFail) {
  const Params p = parse("gpu: {preset: h100, hbm_bandwidth_GBps: 3000}\n");
  const Params g = resolve_preset(p, "gpu", "gpu", "b200");
  EXPECT_DOUBLE_EQ(g.param<double>("hbm_bandwidth_GBps").required(), 3000);
  EXPECT_DOUBLE_EQ(g.param<double>("peak_bf16_tflops").required(), 989);
  const Params q = parse("gpu: {preset: h900}\n");
  const auto e = error_of([&] { resolve_preset(q, "gpu", "gpu", "b200"); });
  EXPECT_NE(e.find("gpu.preset: unknown gpu preset 'h900'"), std::string::npos) << e;
  EXPECT_NE(e.find("h100"), std::string::npos) << e;
  // Every registered family has the presets the docs promise.
  for (const char* name : {"h100", "h200", "b200"})
    EXPECT_NE(PresetRegistry::instance().find("gpu", name), nullptr) << name;
  for (const char* name : {"nvlink4", "nvlink5", "ib-ndr", "pcie5"})
    EXPECT_NE(PresetRegistry::instance().find("fabric", name), nullptr) << name;
  for (const char* name : {"hbm3-bank-pim", "hbm3e-bank-pim"})
    EXPECT_NE(PresetRegistry::instance().find("pim", name), nullptr) << name;
}

const ParamDoc* doc_of(const ParamDocs& docs, const std::string& key) {
  for (const auto& d : docs)
    if (d.key == key) return &d;
  return nullptr;
}

TEST(ParamDocs, DescribingRecordsEveryReadAndRunsThroughRequiredKeys) {
  auto docs = std::make_shared<ParamDocs>();
  const Params p = Params::describing(docs);
  EXPECT_TRUE(p.describing());
  // Absent required keys yield a sample within the bounds (the first choice), not an error.
  EXPECT_EQ(p.param<std::int64_t>("n").min(3).max(9).desc("count").required(), 3);
  EXPECT_DOUBLE_EQ(p.param<double>("f").above(0).max(0.5).desc("fraction").required(), 0.25);
  EXPECT_EQ(p.param<std::string>("c").one_of({"x", "y"}).desc("choice").required(), "x");
  p.child("sub").param<bool>("flag").desc("a flag").dflt(true);
  p.param<double>("m").min(1).desc("computed").default_text("2 x f").dflt(1.0);
  ASSERT_EQ(docs->size(), 5u);
  const auto* n = doc_of(*docs, "n");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->type, "integer");
  EXPECT_EQ(n->dflt, "required");
  EXPECT_EQ(n->range, "[3, 9]");
  EXPECT_EQ(doc_of(*docs, "f")->range, "(0, 0.5]");
  EXPECT_EQ(doc_of(*docs, "c")->range, "x | y");
  const auto* flag = doc_of(*docs, "sub.flag");
  ASSERT_NE(flag, nullptr);
  EXPECT_EQ(flag->dflt, "true");
  EXPECT_EQ(flag->type, "bool");
  EXPECT_EQ(doc_of(*docs, "m")->dflt, "2 x f");
  EXPECT_FALSE(Params(YAML::Load("{}"), "x.yaml").describing());
}

TEST(ParamDocs, APresetShowsItsValuesAndAnImplementationItsDefaultsAndBounds) {
  const ParamDocs h100 = describe_preset("gpu", "h100");
  const auto* peak = doc_of(h100, "peak_bf16_tflops");
  ASSERT_NE(peak, nullptr);
  EXPECT_EQ(peak->dflt, "989");
  EXPECT_EQ(peak->type, "number");
  EXPECT_EQ(peak->range, "[1e-06, 1000000]");
  ASSERT_NE(doc_of(h100, "impl"), nullptr);
  EXPECT_EQ(doc_of(h100, "impl")->dflt, "kernels");
  EXPECT_EQ(doc_of(h100, "preset")->dflt, "h100");
  // Inherited keys and computed defaults of a PIM preset.
  const ParamDocs pim = describe_preset("pim", "hbm3-bank-pim");
  EXPECT_EQ(doc_of(pim, "tRCD_ns")->dflt, "14.615");
  EXPECT_EQ(doc_of(pim, "tck_ns")->dflt, "4 / pin_gbps");
  EXPECT_EQ(doc_of(pim, "contention")->range, "independent | shared | exclusive");

  const ParamDocs zipf = RoutingRegistry::instance().describe("zipf", describing_routing_context());
  const auto* s = doc_of(zipf, "s");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->dflt, "1");
  EXPECT_EQ(s->range, "[0, 10]");
  EXPECT_EQ(doc_of(zipf, "drift_period_tokens")->range, "[0, 1073741824]");
  // A source that reads a file describes itself without reading one.
  const ParamDocs trace =
      RoutingRegistry::instance().describe("trace", describing_routing_context());
  EXPECT_EQ(doc_of(trace, "path")->dflt, "required");
  EXPECT_EQ(doc_of(trace, "expert_mapping")->range, "none | modulo");
}

// Every parameter of every implementation of these registries and presets says what it is.
template <class Reg, class... Ctx>
void expect_described(const char* registry, const Ctx&... ctx) {
  ASSERT_FALSE(Reg::instance().names().empty()) << registry;
  for (const auto& name : Reg::instance().names())
    for (const auto& d : Reg::instance().describe(name, ctx...)) {
      EXPECT_FALSE(d.desc.empty()) << registry << " '" << name << "': " << d.key;
      EXPECT_FALSE(d.type.empty() || d.dflt.empty()) << registry << " '" << name << "'";
    }
}

TEST(ParamDocs, EveryParameterHasADescription) {
  expect_described<SchedulerRegistry>("scheduler");
  // The experiment's own keys: each once, each described.
  const ParamDocs x = describe_experiment();
  std::set<std::string> keys;
  for (const auto& d : x) {
    EXPECT_FALSE(d.desc.empty()) << d.key;
    EXPECT_TRUE(keys.insert(d.key).second) << d.key << " listed twice";
  }
  for (const char* k : {"system.nodes", "system.dispatch", "model.config", "workload.mode",
                        "workload.batching.max_tokens", "placement.rebalance_every", "output.path",
                        "sweep.values", "scheduler.name", "scheduler.attention"})
    EXPECT_EQ(keys.count(k), 1u) << k;
  EXPECT_EQ(keys.count("scheduler.sieve.decision_us"), 0u);  // the scheduler's own: its registry
  expect_described<GpuRegistry>("GPU model");
  expect_described<PimRegistry>("PIM model");
  expect_described<FabricRegistry>("fabric model");
  expect_described<RoutingRegistry>("routing source", describing_routing_context());
  expect_described<ArrivalRegistry>("arrival process", describing_arrival_context());
  expect_described<LengthRegistry>("length distribution", describing_length_context());
  expect_described<AssignmentRegistry>("assignment policy");
  expect_described<PlacementRegistry>("placement policy");
  expect_described<ReplicaDispatchRegistry>("replica dispatch rule");
  for (const auto& family : preset_families()) {
    ASSERT_FALSE(PresetRegistry::instance().names(family).empty()) << family;
    for (const auto& name : PresetRegistry::instance().names(family))
      for (const auto& d : describe_preset(family, name))
        EXPECT_FALSE(d.desc.empty()) << family << " preset '" << name << "': " << d.key;
  }
}

TEST(Registry, CountsConstructionsButNotDescriptions) {
  auto& reg = RoutingRegistry::instance();
  reg.reset_constructions();
  const ModelSpec& m = describing_routing_context().model;
  const RoutingContext ctx{m, 3, ""};
  make_routing_source(Params(YAML::Load("source: zipf"), "t.yaml"), ctx);
  make_routing_source(Params(YAML::Load("source: zipf"), "t.yaml"), ctx);
  EXPECT_EQ(reg.constructions("zipf"), 2);
  reg.describe("zipf", ctx);
  describe_preset("gpu", "h100");
  EXPECT_EQ(reg.constructions("zipf"), 2);
  EXPECT_EQ(reg.constructions("uniform"), 0);
  EXPECT_EQ(reg.constructions("no-such-source"), 0);
  reg.reset_constructions();
  EXPECT_EQ(reg.constructions("zipf"), 0);
}

TEST(Registry, SubsectionsOfOtherImplementationsAreCheckedWithoutBuildingThem) {
  auto& reg = RoutingRegistry::instance();
  const RoutingContext& ctx = describing_routing_context();
  auto routing = [&](const std::string& yaml) {
    return Params(YAML::Load(yaml), "t.yaml", "workload.routing");
  };
  // A valid subsection of another source: read (defaults filled in), not built.
  reg.reset_constructions();
  const Params ok = routing("source: uniform\nzipf: {s: 1.1}\ntrace: {path: none.trace}");
  make_routing_source(ok, ctx);
  EXPECT_EQ(reg.constructions("uniform"), 1);
  EXPECT_EQ(reg.constructions("zipf"), 0);
  EXPECT_EQ(reg.constructions("trace"), 0);  // nor its file read
  EXPECT_DOUBLE_EQ(ok.resolved()["zipf"]["s"].as<double>(), 1.1);
  EXPECT_DOUBLE_EQ(ok.resolved()["zipf"]["locality"].as<double>(), 0.0);
  EXPECT_EQ(ok.resolved()["trace"]["expert_mapping"].as<std::string>(), "none");

  // A typo, a value out of bounds, a bad choice, a missing required key: each names the key.
  auto e = error_of([&] { make_routing_source(routing("zipf: {s: 1.1, lokality: 0.5}"), ctx); });
  EXPECT_NE(e.find("t.yaml: workload.routing.zipf.lokality: unknown key 'lokality' (did you mean "
                   "'locality'?)"),
            std::string::npos)
      << e;
  e = error_of([&] { make_routing_source(routing("hotcold: {hot_share: 2}"), ctx); });
  EXPECT_NE(e.find("t.yaml: workload.routing.hotcold.hot_share: expected a number >= 0 and <= 1, "
                   "got '2'"),
            std::string::npos)
      << e;
  e = error_of(
      [&] { make_routing_source(routing("trace: {path: x.trace, expert_mapping: fold}"), ctx); });
  EXPECT_NE(e.find("workload.routing.trace.expert_mapping: expected one of: none modulo"),
            std::string::npos)
      << e;
  e = error_of([&] { make_routing_source(routing("trace: {expert_mapping: modulo}"), ctx); });
  EXPECT_NE(e.find("workload.routing.trace.path: missing required key"), std::string::npos) << e;
  EXPECT_EQ(reg.constructions("zipf") + reg.constructions("hotcold") + reg.constructions("trace"),
            0);

  // The same for placement policies.
  PlacementRegistry::instance().reset_constructions();
  make_placement_policy(
      Params(YAML::Load("policy: contiguous\neplb: {redundant_experts: 4}"), "t.yaml"));
  EXPECT_EQ(PlacementRegistry::instance().constructions("contiguous"), 1);
  EXPECT_EQ(PlacementRegistry::instance().constructions("eplb"), 0);
  e = error_of([&] {
    make_placement_policy(
        Params(YAML::Load("policy: eplb\nsieve: {budget_GB: 4}"), "t.yaml", "placement"));
  });
  EXPECT_NE(e.find("t.yaml: placement.sieve.budget_GB: unknown key 'budget_GB'"), std::string::npos)
      << e;
}

}  // namespace
}  // namespace sievesim
