#include "io/result_file.hpp"

#include <filesystem>

#include "base/error.hpp"
#include "base/version.hpp"

namespace sievesim {
namespace {

// Another layout would be misread column by column, so only this binary's own is accepted.
void check_schema_version(hid_t file, const std::string& path) {
  const std::string want = std::to_string(kSchemaVersion);
  if (!h5::has_attr(file, "schema_version"))
    throw InputError(path, "schema_version",
                     "missing; this sievesim reads schema " + want + " (rerun the experiment)");
  const std::int64_t v = h5::read_attr_int(file, "schema_version");
  if (v != kSchemaVersion)
    throw InputError(path, "schema_version",
                     "the file has schema " + std::to_string(v) + ", this sievesim reads schema " +
                         want +
                         (v < kSchemaVersion ? " (rerun the experiment with this version)"
                                             : " (use the newer sievesim that wrote it)"));
}

}  // namespace

std::vector<std::string> run_names(hid_t runs) {
  H5G_info_t info;
  h5::check_status(H5Gget_info(runs, &info), "H5Gget_info");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    char name[256];
    if (H5Lget_name_by_idx(runs, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, name, sizeof name,
                           H5P_DEFAULT) < 0)
      throw h5::Error("H5Lget_name_by_idx failed");
    names.emplace_back(name);
  }
  return names;
}

h5::Handle open_result_file(const std::string& path) {
  if (!std::filesystem::exists(path)) throw InputError(path, "", "no such result file");
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (std::filesystem::is_directory(path) || H5Fis_hdf5(path.c_str()) <= 0)
    throw InputError(path, "", "not an HDF5 file");
  try {
    h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "H5Fopen");
    if (!h5::has_attr(file, "software") || h5::read_attr_string(file, "software") != "sievesim")
      throw InputError(path, "", "not a sievesim result file (no software=sievesim attribute)");
    check_schema_version(file, path);
    return file;
  } catch (const h5::Error& e) {
    // A truncated file or one written by another program: bad input, not a bug.
    throw InputError(path, "", std::string("not a readable sievesim result (") + e.what() + ")");
  }
}

}  // namespace sievesim
