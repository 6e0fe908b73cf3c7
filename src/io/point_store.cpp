#include "io/point_store.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

#include "base/error.hpp"
#include "base/h5_util.hpp"
#include "io/result_file.hpp"

namespace sievesim {
namespace fs = std::filesystem;
namespace {

using h5::Handle;

// The configuration as it decides results: the output path only says where they go (a resumed
// run may name the same file differently, `-o x.h5` or `-o ./x.h5`).
std::string comparable(const std::string& yaml) {
  YAML::Node n = YAML::Load(yaml);
  if (n.IsMap() && n["output"].IsMap()) n["output"].remove("path");
  YAML::Emitter e;
  e << n;
  return e.c_str();
}

// The objects of a single run's file root, in name order (the order does not matter: a copy
// keeps each one's name).
std::vector<std::string> link_names(hid_t group) {
  std::vector<std::string> names;
  H5Literate(
      group, H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->emplace_back(name);
        return 0;
      },
      &names);
  return names;
}

// Calls take(name, config) for every run in a result file ("" for a single run at the root).
template <class Take>
void runs_in(const std::string& path, Take take) {
  const Handle f = open_result_file(path);
  if (H5Lexists(f, "runs", H5P_DEFAULT) <= 0) {
    take("", h5::read_attr_string(f, "config"));
    return;
  }
  const Handle runs(H5Gopen2(f, "runs", H5P_DEFAULT), H5Gclose, "H5Gopen2(runs)");
  for (const auto& name : run_names(runs)) {
    const Handle g(H5Gopen2(runs, name.c_str(), H5P_DEFAULT), H5Gclose, "H5Gopen2(run)");
    take(name, h5::read_attr_string(g, "config"));
  }
}

std::string shown(const std::string& name) {
  return name.empty() ? "the run" : "'" + name + "'";
}

}  // namespace

PointStore::PointStore(const std::string& out_path) : out_(out_path), dir_(out_path + ".partial") {}

std::string PointStore::point_path(const std::string& name) const {
  std::string file;
  for (const unsigned char c : name.empty() ? std::string("run") : name) {
    if (std::isalnum(c) || std::strchr("._=,@+-", c)) {
      file += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      file += hex;
    }
  }
  return dir_ + "/" + file + ".h5";
}

int PointStore::start_fresh() const {
  int finished = 0;
  if (fs::is_directory(dir_)) {
    for (const auto& e : fs::directory_iterator(dir_))
      finished += e.path().extension() == ".h5" ? 1 : 0;
    fs::remove_all(dir_);
  } else {
    fs::remove(dir_);  // the single partial file of earlier versions, if any
  }
  return finished;
}

void PointStore::create_dir() const {
  if (!fs::is_directory(dir_)) {
    fs::remove(dir_);  // the single partial file of earlier versions: unreadable by design
    fs::create_directory(dir_);
  }
}

std::vector<std::string> PointStore::find_finished(const std::vector<StoredPoint>& plan) const {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  std::vector<std::string> found(plan.size());
  auto take = [&](const std::string& file) {
    return [&, file](const std::string& name, const std::string& config) {
      const auto it = std::find_if(plan.begin(), plan.end(),
                                   [&](const StoredPoint& p) { return p.name == name; });
      if (it == plan.end())
        throw InputError(file, "--resume",
                         "holds the finished point " + shown(name) +
                             ", which this experiment does not run; remove it or run without "
                             "--resume");
      if (comparable(config) != comparable(it->config))
        throw InputError(file, "config",
                         "the finished point " + shown(name) +
                             " was run with another configuration than the one given; run "
                             "without --resume to start over");
      auto& slot = found[static_cast<std::size_t>(it - plan.begin())];
      if (slot.empty()) slot = file;
    };
  };
  if (fs::is_directory(dir_)) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir_))
      if (e.path().extension() == ".h5") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) runs_in(f, take(f));
  }
  // A finished file from before (a sweep now given more values) supplies what the directory
  // lacks.
  if (fs::is_regular_file(out_)) runs_in(out_, take(out_));
  return found;
}

void PointStore::merge(const std::vector<StoredPoint>& plan,
                       const std::vector<std::string>& sources, const Experiment& x,
                       const ModelSpec& model, const RunInfo& info, bool multi) const {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const std::string tmp = dir_ + "/merged.h5.tmp";
  {
    const Handle fapl = result_file_access(MPI_COMM_NULL);
    const Handle dst(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose,
                     "H5Fcreate(merged)");
    Handle runs;
    if (const hid_t r = write_file_header(dst, x, model, info, multi); r >= 0)
      runs = Handle(r, H5Gclose, "H5Gcreate2(runs)");
    std::map<std::string, Handle> files;
    double wall_s = 0;  // each source file's own time once (OUT.h5 may supply several points)
    std::vector<std::string> schedulers;
    for (std::size_t i = 0; i < plan.size(); ++i) {
      auto it = files.find(sources[i]);
      if (it == files.end()) {
        it = files.emplace(sources[i], open_result_file(sources[i])).first;
        wall_s += h5::read_attr_double(it->second, "wall_time_s");
      }
      const hid_t src = it->second;
      if (multi) {
        const std::string from = "runs/" + plan[i].name;
        h5::check_status(
            H5Ocopy(src, from.c_str(), runs, plan[i].name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
            "H5Ocopy(run)");
      } else {
        for (const auto& name : link_names(src))
          h5::check_status(H5Ocopy(src, name.c_str(), dst, name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                           "H5Ocopy(table)");
      }
      schedulers.push_back(plan[i].scheduler);
    }
    write_file_footer(dst, schedulers, wall_s);
    h5::check_status(H5Fflush(dst, H5F_SCOPE_GLOBAL), "H5Fflush(merged)");
  }
  fs::rename(tmp, out_);
  fs::remove_all(dir_);
}

}  // namespace sievesim
