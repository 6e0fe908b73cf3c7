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
// any of them is still an error.
#include <memory>
#include <string>

#include "base/params.hpp"
#include "base/registry.hpp"

namespace sievesim {

// The registry entry named `name`; an unknown name fails on `key` of `p`, listing the known.
template <class Reg>
const typename Reg::Entry& find_or_fail(const Params& p, const std::string& key,
                                        const std::string& name, const char* what) {
  const auto* e = Reg::instance().find(name);
  if (!e) {
    std::string known;
    for (const auto& n : Reg::instance().names()) known += " " + n;
    p.fail(key, std::string("unknown ") + what + " '" + name + "'; known:" + known);
  }
  return *e;
}

// A hardware model: `impl:` (set by the preset) names the implementation, which reads its
// parameters from the same (preset-merged) map.
template <class Reg, class... Args>
auto make_impl(const Params& p, const char* what, Args&&... args) {
  const std::string name = p.param<std::string>("impl").required();
  return find_or_fail<Reg>(p, "impl", name, what).make(p, args...);
}

template <class Reg, class... Args>
auto make_selected(const Params& section, const std::string& selector, const std::string& dflt,
                   const char* what, Args&&... args) {
  const std::string name = section.param<std::string>(selector).dflt(dflt);
  const auto& reg = Reg::instance();
  find_or_fail<Reg>(section, selector, name, what);
  for (const auto& other : reg.names())
    if (other != name && section.has(other)) reg.find(other)->make(section.child(other), args...);
  return reg.find(name)->make(section.child(name), args...);
}

}  // namespace sievesim
