#pragma once
// Small RAII and error helpers over the HDF5 C API (the C++ API is not built for parallel HDF5).
#include <hdf5.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace sievesim::h5 {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline hid_t check(hid_t id, const char* what) {
  if (id < 0) throw Error(std::string("HDF5: ") + what + " failed");
  return id;
}
inline void check_status(herr_t rc, const char* what) {
  if (rc < 0) throw Error(std::string("HDF5: ") + what + " failed");
}

// Owns one HDF5 identifier and closes it with the right function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close, const char* what) : id_(check(id, what)), close_(close) {}
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    reset();
    id_ = o.id_;
    close_ = o.close_;
    o.id_ = -1;
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = -1;
  }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }

 private:
  hid_t id_ = -1;
  Closer close_ = nullptr;
};

void write_attr(hid_t obj, const std::string& name, const std::string& value);
void write_attr(hid_t obj, const std::string& name, std::int64_t value);
void write_attr(hid_t obj, const std::string& name, double value);

bool has_attr(hid_t obj, const std::string& name);
std::string read_attr_string(hid_t obj, const std::string& name);
std::int64_t read_attr_int(hid_t obj, const std::string& name);
double read_attr_double(hid_t obj, const std::string& name);
// A whole 1-D int64 dataset.
std::vector<std::int64_t> read_column(hid_t group, const std::string& name);

}  // namespace sievesim::h5
