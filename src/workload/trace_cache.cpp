#include "workload/trace_cache.hpp"

#include <filesystem>
#include <map>
#include <mutex>

namespace sievesim {

std::string trace_path(const std::string& name, const std::string& base_dir) {
  std::filesystem::path p(name);
  if (p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
  return p.lexically_normal().string();
}

std::shared_ptr<const RoutingTrace> shared_trace(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const RoutingTrace>> live;
  // The last trace read stays held: consecutive sweep points assemble, run and release their
  // components one after the other, and would otherwise parse the same file every point.
  static std::shared_ptr<const RoutingTrace> last;
  const std::string key = std::filesystem::path(path).lexically_normal().string();
  std::lock_guard<std::mutex> lock(mutex);
  if (auto held = live[key].lock()) return held;
  auto t = std::make_shared<const RoutingTrace>(read_trace(key));
  live[key] = t;
  last = t;
  return t;
}

}  // namespace sievesim
