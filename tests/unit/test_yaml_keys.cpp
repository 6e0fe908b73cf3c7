// A key written twice in one YAML map is an input error (yaml-cpp keeps both pairs and a lookup
// silently returns the first), in experiment files, -p values and the built-in presets.
#include <gtest/gtest.h>

#include "base/error.hpp"
#include "base/params.hpp"
#include "base/yaml_keys.hpp"
#include "hw/preset.hpp"

namespace sievesim {
namespace {

// The InputError the check throws for `yaml`, as "key|message"; "" when it accepts it.
std::string verdict(const std::string& yaml) {
  try {
    reject_duplicate_keys(YAML::Load(yaml), "x.yaml");
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "x.yaml");
    return e.key() + "|" + e.what();
  }
  return "";
}

TEST(YamlKeys, AcceptsTheSameKeyInDifferentMaps) {
  EXPECT_EQ(verdict("a: 1\nb: {a: 2, c: [{a: 1}, {a: 2}]}\nc: [a, a]\n"), "");
}

TEST(YamlKeys, NamesTheDottedKeyAndBothLines) {
  const auto v = verdict("system:\n  nodes: 4\n  gpu: {preset: h100}\n  nodes: 8\n");
  EXPECT_EQ(v.substr(0, v.find('|')), "system.nodes");
  EXPECT_NE(v.find("duplicate key (line 2 and line 4)"), std::string::npos) << v;
}

TEST(YamlKeys, FindsDuplicatesAtTheTopInFlowMapsAndInsideLists) {
  EXPECT_EQ(verdict("a: 1\nb: 2\na: 3\n").substr(0, 2), "a|");
  EXPECT_EQ(verdict("s: {name: sieve, name: pimoe}").substr(0, 7), "s.name|");
  EXPECT_EQ(verdict("l: [{x: 1}, {y: 1, y: 2}]").substr(0, 7), "l[1].y|");
}

TEST(YamlKeys, OverrideValuesAreChecked) {
  YAML::Node root(YAML::NodeType::Map);
  try {
    apply_overrides(root, {"system.gpu={preset: h100, preset: b200}"}, "e.yaml");
    FAIL() << "a -p value with a key twice was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "e.yaml");
    EXPECT_EQ(e.key(), "system.gpu.preset");
    EXPECT_NE(std::string(e.what()).find("-p value"), std::string::npos) << e.what();
  }
}

TEST(YamlKeys, EveryBuiltInPresetHasEachKeyOnce) {
  int presets = 0;
  for (const auto& family : preset_families())
    for (const auto& name : PresetRegistry::instance().names(family)) {
      EXPECT_NO_THROW(describe_preset(family, name)) << family << "/" << name;
      ++presets;
    }
  EXPECT_GE(presets, 10);
}

}  // namespace
}  // namespace sievesim
