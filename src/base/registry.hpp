#pragma once
// Name -> factory registry, one per interface. Implementations register themselves from their own
// .cpp file with SIEVESIM_REGISTER (as Ramulator 2 does), so adding one is adding one file.
//
// Every component an entry's factory builds for use is counted by name, so tests can tell what a
// configuration really constructed; describe() builds one on a describing reader
// (Params::describing) to list its parameters, and is not counted.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/params.hpp"

namespace sievesim {

namespace registry_detail {
inline bool describing(const Params& p) {
  return p.describing();
}
template <class T>
bool describing(const T&) {
  return false;
}
}  // namespace registry_detail

template <class Interface, class... Args>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Interface>(Args...)>;
  // The factory, counting what it builds for use (not what it builds on a describing reader).
  struct CountingFactory {
    Factory factory;
    std::shared_ptr<std::atomic<std::int64_t>> built =
        std::make_shared<std::atomic<std::int64_t>>(0);
    std::unique_ptr<Interface> operator()(Args... args) const {
      if (!(registry_detail::describing(args) || ...))
        built->fetch_add(1, std::memory_order_relaxed);
      return factory(args...);
    }
  };
  struct Entry {
    CountingFactory make;
    std::string description;
  };

  static Registry& instance() {
    static Registry r;
    return r;
  }
  bool add(const std::string& name, Factory f, std::string description) {
    entries_[name] = Entry{CountingFactory{std::move(f)}, std::move(description)};
    return true;
  }
  const Entry* find(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : entries_) out.push_back(k);
    return out;
  }
  const std::map<std::string, Entry>& entries() const { return entries_; }

  // Builds the implementation `name` (which must be registered: look it up with find() first to
  // report a bad name as bad input).
  std::unique_ptr<Interface> make(const std::string& name, Args... args) const {
    const Entry* e = find(name);
    if (!e) throw std::logic_error("Registry::make: '" + name + "' is not registered");
    return e->make(args...);
  }

  // The parameters `name` reads, as its reads document them: built once on a describing reader
  // without input (so the code's defaults, and "required" for the rest), not counted. `ctx` are
  // the factory's other arguments (a describing context where no real one exists).
  template <class... Ctx>
  ParamDocs describe(const std::string& name, const Ctx&... ctx) const {
    auto docs = std::make_shared<ParamDocs>();
    make(name, Params::describing(docs), ctx...);
    return *docs;
  }

  // Components built for use under `name` since the start or the last reset_constructions().
  std::int64_t constructions(const std::string& name) const {
    const Entry* e = find(name);
    return e ? e->make.built->load(std::memory_order_relaxed) : 0;
  }
  void reset_constructions() {
    for (auto& [name, e] : entries_) e.make.built->store(0, std::memory_order_relaxed);
  }

 private:
  std::map<std::string, Entry> entries_;
};

}  // namespace sievesim

#define SIEVESIM_CONCAT_INNER(a, b) a##b
#define SIEVESIM_CONCAT(a, b) SIEVESIM_CONCAT_INNER(a, b)
// SIEVESIM_REGISTER(RegistryType, "name", "description", factory-lambda)
#define SIEVESIM_REGISTER(REG, NAME, DESC, ...)                                                  \
  namespace {                                                                                    \
  [[maybe_unused]] const bool SIEVESIM_CONCAT(sievesim_registered_,                              \
                                              __LINE__) = REG::instance().add(NAME, __VA_ARGS__, \
                                                                              DESC);             \
  }
