#pragma once
// Input errors carry the file and the key at fault; main() prints them as one line and exits 2.
#include <stdexcept>
#include <string>

namespace sievesim {

class InputError : public std::runtime_error {
 public:
  InputError(const std::string& file, const std::string& key, const std::string& what)
      : std::runtime_error(format(file, key, what)), file_(file), key_(key) {}
  const std::string& file() const { return file_; }
  const std::string& key() const { return key_; }

 private:
  static std::string format(const std::string& file, const std::string& key,
                            const std::string& what) {
    std::string s = file.empty() ? std::string() : file + ": ";
    if (!key.empty()) s += key + ": ";
    return s + what;
  }
  std::string file_, key_;
};

// An invariant of the simulation was broken: a bug, not bad input (exit code 1).
class SimulationError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitBadInput = 2;

}  // namespace sievesim
