#pragma once
// Choosing an implementation by name from a config section, the Ramulator 2 way, with each
// implementation's own parameters in a subsection named after it:
//
//   scheduler:
//     name: sieve              # the selector
//     sieve: {decision_us: 20} # parameters of `sieve`
//     pimoe: {threshold: 2}    # parameters of another implementation: checked, not used
//
// so switching implementations with -p never trips over the other one's keys, while a typo in
// any of them is still an error. The other implementations are not built to check them: their
// parameters come from describing them (Registry::describe), and check_params reads the
// subsection against those docs.
#include <memory>
#include <string>

#include "base/params.hpp"
#include "base/registry.hpp"

namespace sievesim {

// The registered names, for error messages and docs ("a | b | c").
template <class Reg>
std::string registered_names(const char* sep) {
  std::string out;
  for (const auto& n : Reg::instance().names()) out += (out.empty() ? "" : sep) + n;
  return out;
}

// The registry entry named `name`; an unknown name fails on `key` of `p`, listing the known.
template <class Reg>
const typename Reg::Entry& find_or_fail(const Params& p, const std::string& key,
                                        const std::string& name, const char* what) {
  const auto* e = Reg::instance().find(name);
  if (!e)
    p.fail(key, std::string("unknown ") + what + " '" + name +
                    "'; known: " + registered_names<Reg>(" "));
  return *e;
}

// A hardware model: `impl:` (set by the preset) names the implementation, which reads its
// parameters from the same (preset-merged) map.
template <class Reg, class... Args>
auto make_impl(const Params& p, const char* what, Args&&... args) {
  const std::string name = p.param<std::string>("impl")
                               .desc(std::string("the ") + what +
                                     " implementation that reads this preset (set by the "
                                     "preset; `sievesim params NAME` lists each one's keys)")
                               .range(registered_names<Reg>(" | "))
                               .required();
  find_or_fail<Reg>(p, "impl", name, what);
  return Reg::instance().make(name, p, args...);
}

// The implementation `section.selector` names (default `dflt`), built from the subsection of
// its name; every other implementation's subsection present is checked against its docs.
// Describing, only the selected one (the default) is described, under its subsection.
template <class Reg, class... Args>
auto make_selected(const Params& section, const std::string& selector, const std::string& dflt,
                   const char* what, Args&&... args) {
  const std::string name =
      section.param<std::string>(selector)
          .desc(std::string("the ") + what + "; its parameters go in the subsection of its name")
          .range(registered_names<Reg>(" | "))
          .dflt(dflt);
  const auto& reg = Reg::instance();
  find_or_fail<Reg>(section, selector, name, what);
  if (!section.describing())
    for (const auto& other : reg.names())
      if (other != name && section.has(other))
        check_params(section.child(other), reg.describe(other, args...));
  return reg.make(name, section.child(name), args...);
}

}  // namespace sievesim
