#include "place/load_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/csv_rows.hpp"
#include "base/error.hpp"
#include "base/h5_util.hpp"

namespace sievesim {
namespace {

std::string fmt_tokens(double t) {
  std::ostringstream s;
  s << t;
  return s.str();
}

void add(GivenLoad& g, const ModelSpec& m, const std::string& file, const std::string& where,
         std::int64_t layer, std::int64_t expert, double tokens) {
  if (layer < 0 || layer >= m.num_layers || !m.layers[static_cast<std::size_t>(layer)].moe)
    throw InputError(file, where,
                     "layer " + std::to_string(layer) + " is not an MoE layer of " + m.name);
  if (expert < 0 || expert >= m.routed_experts)
    throw InputError(file, where,
                     "expert " + std::to_string(expert) + " out of range (the model has " +
                         std::to_string(m.routed_experts) + " routed experts)");
  // The placements turn per-iteration counts into 32-bit token counts for the cost models.
  constexpr double kMaxTokens = 2147483647.0;
  if (!(tokens >= 0)) throw InputError(file, where, "tokens must be >= 0");
  if (!(tokens <= kMaxTokens))
    throw InputError(file, where,
                     "tokens must be at most 2147483647 (got " + fmt_tokens(tokens) + ")");
  g.tokens[static_cast<std::size_t>(layer * m.routed_experts + expert)] += tokens;
}

GivenLoad read_result(const std::string& file, const ModelSpec& m) {
  GivenLoad g;
  g.tokens.assign(static_cast<std::size_t>(m.num_layers * m.routed_experts), 0.0);
  try {
    h5::Handle f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "H5Fopen");
    if (H5Lexists(f, "expert_load", H5P_DEFAULT) <= 0)
      throw InputError(file, "/expert_load",
                       "no /expert_load at the root (a result of one run, schema 4 or later)");
    h5::Handle t(H5Gopen2(f, "expert_load", H5P_DEFAULT), H5Gclose, "H5Gopen2(expert_load)");
    const auto layer = h5::read_column(t, "layer"), expert = h5::read_column(t, "expert"),
               tokens = h5::read_column(t, "tokens");
    for (std::size_t i = 0; i < layer.size(); ++i)
      add(g, m, file, "/expert_load row " + std::to_string(i), layer[i], expert[i],
          static_cast<double>(tokens[i]));
    h5::Handle s(H5Gopen2(f, "summary", H5P_DEFAULT), H5Gclose, "H5Gopen2(summary)");
    g.iterations = std::max<std::int64_t>(
        1, h5::read_attr_int(s, "iterations") - h5::read_attr_int(s, "warmup_iterations"));
  } catch (const h5::Error& e) {
    throw InputError(file, "", std::string("not a readable sievesim result (") + e.what() + ")");
  }
  return g;
}

}  // namespace

GivenLoad read_load_file(const std::string& file, const ModelSpec& m) {
  if (!std::filesystem::is_regular_file(file)) throw InputError(file, "", "no such load file");
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (H5Fis_hdf5(file.c_str()) > 0) return read_result(file, m);
  GivenLoad g;
  g.tokens.assign(static_cast<std::size_t>(m.num_layers * m.routed_experts), 0.0);
  std::ifstream in(file);
  if (!in) throw InputError(file, "", "cannot open the load file");
  std::int64_t rows = 0;
  for_each_csv_row(in, [&](std::int64_t line_no, std::istringstream& row, const std::string& line) {
    std::int64_t layer = 0, expert = 0;
    double tokens = 0;
    std::string extra;
    const std::string where = "line " + std::to_string(line_no);
    if (!(row >> layer >> expert >> tokens) || (row >> extra)) {
      if (rows == 0 && line_no == 1) return true;  // a header
      throw InputError(file, where, "expected 'layer,expert,tokens', got '" + line + "'");
    }
    add(g, m, file, where, layer, expert, tokens);
    ++rows;
    return true;
  });
  if (rows == 0) throw InputError(file, "", "no 'layer,expert,tokens' lines");
  return g;
}

}  // namespace sievesim
