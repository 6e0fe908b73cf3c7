#include "config/sweep.hpp"

#include <algorithm>
#include <sstream>

#include "base/error.hpp"

namespace sievesim {
namespace {

std::string leaf(const std::string& key) {
  return key.substr(key.rfind('.') + 1);
}

// Point names use each key's last part (concurrency=64), unless two keys share it
// (placement.random.max_replicas and another max_replicas): then the full dotted keys, so a
// name always says which key had which value.
std::vector<std::string> name_parts(const std::vector<SweepAxis>& axes) {
  std::vector<std::string> out;
  for (const auto& a : axes) out.push_back(leaf(a.key));
  for (std::size_t i = 0; i < axes.size(); ++i)
    if (std::count(out.begin(), out.end(), leaf(axes[i].key)) > 1) {
      out.clear();
      for (const auto& b : axes) out.push_back(b.key);
      break;
    }
  return out;
}

}  // namespace

SweepAxis parse_sweep_option(const std::string& text, const std::string& option) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw InputError("", option, "expected KEY=V1,V2,..., got '" + text + "'");
  SweepAxis a{text.substr(0, eq), {}};
  std::stringstream list(text.substr(eq + 1));
  for (std::string v; std::getline(list, v, ',');)
    if (!v.empty()) a.values.push_back(v);
  if (a.values.empty())
    throw InputError("", option, "no values for '" + a.key + "' in '" + text + "'");
  return a;
}

void check_sweep(const std::vector<SweepAxis>& axes, const std::string& file,
                 const std::string& prefix) {
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const SweepAxis& a = axes[i];
    const std::string where = prefix + a.key;
    if (a.key.rfind("sweep.", 0) == 0 || a.key == "sweep")
      throw InputError(file, where, "cannot sweep the sweep itself");
    if (a.values.empty()) throw InputError(file, where, "a swept key needs at least one value");
    for (std::size_t j = 0; j < i; ++j)
      if (axes[j].key == a.key) throw InputError(file, where, "the key is swept twice");
    for (auto v = a.values.begin(); v != a.values.end(); ++v)
      if (std::find(a.values.begin(), v, *v) != v)
        throw InputError(file, where, "the value '" + *v + "' is given twice");
  }
}

std::vector<SweepPoint> sweep_points(const std::vector<SweepAxis>& axes) {
  std::vector<SweepPoint> points{SweepPoint{}};
  const auto names = name_parts(axes);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    std::vector<SweepPoint> next;
    for (const auto& p : points)
      for (const auto& v : axes[i].values) {
        SweepPoint q = p;
        q.label += (q.label.empty() ? "" : ",") + names[i] + "=" + v;
        q.overrides.push_back(axes[i].key + "=" + v);
        next.push_back(std::move(q));
      }
    points = std::move(next);
  }
  // One key keeps its plain value (the sweep tables sort numbers as numbers); a grid point is
  // only told apart by the whole assignment.
  for (auto& p : points)
    p.value = axes.size() == 1 ? p.overrides.front().substr(axes[0].key.size() + 1) : p.label;
  return points;
}

std::string sweep_keys_text(const std::vector<SweepAxis>& axes) {
  std::string s;
  for (const auto& a : axes) s += (s.empty() ? "" : ",") + a.key;
  return s;
}

}  // namespace sievesim
