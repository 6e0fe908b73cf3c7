// Checked configuration reading: types, bounds, defaults, unknown keys, -p overrides, presets.
#include <gtest/gtest.h>

#include "base/error.hpp"
#include "base/params.hpp"
#include "hw/preset.hpp"

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

}  // namespace
}  // namespace sievesim
