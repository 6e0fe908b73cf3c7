#include "base/h5_util.hpp"

namespace sievesim::h5 {
namespace {

Handle scalar_space() {
  return Handle(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
}

void write_scalar_attr(hid_t obj, const std::string& name, hid_t type, const void* data) {
  Handle space = scalar_space();
  Handle a(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
           "H5Acreate2");
  check_status(H5Awrite(a, type, data), "H5Awrite");
}

}  // namespace

void write_attr(hid_t obj, const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
  check_status(H5Tset_size(type, value.empty() ? 1 : value.size()), "H5Tset_size");
  check_status(H5Tset_cset(type, H5T_CSET_UTF8), "H5Tset_cset");
  check_status(H5Tset_strpad(type, H5T_STR_NULLPAD), "H5Tset_strpad");
  write_scalar_attr(obj, name, type, value.empty() ? "" : value.data());
}

void write_attr(hid_t obj, const std::string& name, std::int64_t value) {
  write_scalar_attr(obj, name, H5T_NATIVE_INT64, &value);
}

void write_attr(hid_t obj, const std::string& name, double value) {
  write_scalar_attr(obj, name, H5T_NATIVE_DOUBLE, &value);
}

bool has_attr(hid_t obj, const std::string& name) {
  return H5Aexists(obj, name.c_str()) > 0;
}

std::string read_attr_string(hid_t obj, const std::string& name) {
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "H5Aopen");
  Handle type(H5Aget_type(a), H5Tclose, "H5Aget_type");
  if (H5Tget_class(type) != H5T_STRING) throw Error("attribute " + name + " is not a string");
  if (H5Tis_variable_str(type) > 0) {
    char* s = nullptr;
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
    check_status(H5Tset_size(mem, H5T_VARIABLE), "H5Tset_size");
    check_status(H5Tset_cset(mem, H5Tget_cset(type)), "H5Tset_cset");
    check_status(H5Aread(a, mem, &s), "H5Aread");
    std::string out = s ? s : "";
    H5free_memory(s);
    return out;
  }
  const std::size_t n = H5Tget_size(type);
  std::string out(n, '\0');
  check_status(H5Aread(a, type, out.data()), "H5Aread");
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

std::int64_t read_attr_int(hid_t obj, const std::string& name) {
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "H5Aopen");
  std::int64_t v = 0;
  check_status(H5Aread(a, H5T_NATIVE_INT64, &v), "H5Aread");
  return v;
}

double read_attr_double(hid_t obj, const std::string& name) {
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "H5Aopen");
  double v = 0;
  check_status(H5Aread(a, H5T_NATIVE_DOUBLE, &v), "H5Aread");
  return v;
}

std::vector<std::int64_t> read_column(hid_t group, const std::string& name) {
  Handle d(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose, "H5Dopen2");
  Handle space(H5Dget_space(d), H5Sclose, "H5Dget_space");
  hsize_t n = 0;
  if (H5Sget_simple_extent_dims(space, &n, nullptr) != 1) throw Error(name + " is not 1-D");
  std::vector<std::int64_t> out(n);
  if (n > 0)
    check_status(H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
                 "H5Dread");
  return out;
}

}  // namespace sievesim::h5
