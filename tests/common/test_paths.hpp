#pragma once
// Where tests find the repository and ../shared (compile definitions set by tests/CMakeLists.txt).
#include <string>

namespace sievesim::test {

inline std::string source_dir() {
  return SIEVESIM_SOURCE_DIR;
}
inline std::string shared_dir() {
  return SIEVESIM_SHARED_DIR;
}
inline std::string quickstart() {
  return source_dir() + "/configs/quickstart.yaml";
}

}  // namespace sievesim::test
