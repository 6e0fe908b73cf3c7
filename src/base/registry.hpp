#pragma once
// Name -> factory registry, one per interface. Implementations register themselves from their own
// .cpp file with SIEVESIM_REGISTER (as Ramulator 2 does), so adding one is adding one file.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sievesim {

template <class Interface, class... Args>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Interface>(Args...)>;
  struct Entry {
    Factory make;
    std::string description;
  };

  static Registry& instance() {
    static Registry r;
    return r;
  }
  bool add(const std::string& name, Factory f, std::string description) {
    entries_[name] = Entry{std::move(f), std::move(description)};
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
