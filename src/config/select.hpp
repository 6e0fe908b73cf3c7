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

#include "common/registry.hpp"
#include "config/params.hpp"

namespace sievesim {

template <class Reg, class... Args>
auto make_selected(const Params& section, const std::string& selector, const std::string& dflt,
                   const char* what, Args&&... args) {
  const std::string name = section.param<std::string>(selector).dflt(dflt);
  const auto& reg = Reg::instance();
  if (!reg.find(name)) {
    std::string known;
    for (const auto& n : reg.names()) known += " " + n;
    section.fail(selector, std::string("unknown ") + what + " '" + name + "'; known:" + known);
  }
  for (const auto& other : reg.names())
    if (other != name && section.has(other)) reg.find(other)->make(section.child(other), args...);
  return reg.find(name)->make(section.child(name), args...);
}

}  // namespace sievesim
