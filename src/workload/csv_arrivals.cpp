// Requests replayed from a CSV file of `arrival_s,prompt_tokens,output_tokens` rows (a header
// line is allowed; `#` starts a comment). Lengths come from the file, not the distributions.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/csv_rows.hpp"
#include "base/error.hpp"
#include "workload/requests.hpp"

namespace sievesim {
namespace {

class CsvArrivals final : public ArrivalProcess {
 public:
  CsvArrivals(const Params& p, const ArrivalContext& ctx) {
    std::filesystem::path path(
        p.param<std::string>("path")
            .desc("CSV of arrival_s,prompt_tokens,output_tokens rows, relative to the "
                  "experiment file")
            .required());
    if (path.is_relative()) path = std::filesystem::path(ctx.base_dir) / path;
    const auto limit = p.param<std::int64_t>("count")
                           .min(0)
                           .desc("requests: the first rows of the file; 0: all")
                           .dflt(0);
    if (p.describing()) return;  // no file to read
    const std::string file = path.lexically_normal().string();
    std::ifstream in(file);
    if (!in) p.fail("path", "cannot open request CSV '" + file + "'");
    for_each_csv_row(in, [&](std::int64_t line_no, std::istringstream& row,
                             const std::string& line) {
      double arrival_s = 0;
      std::int64_t prompt = 0, output = 0;
      std::string extra;
      if (!(row >> arrival_s >> prompt >> output) || (row >> extra)) {
        if (line_no == 1 && requests_.empty()) return true;  // a header
        throw InputError(file, "line " + std::to_string(line_no),
                         "expected 'arrival_s,prompt_tokens,output_tokens', got '" + line + "'");
      }
      if (!(arrival_s >= 0) || prompt < 1 || output < 1)
        throw InputError(file, "line " + std::to_string(line_no),
                         "expected arrival_s >= 0 and token counts >= 1");
      requests_.push_back(RequestSpec{0, seconds_to_ps(arrival_s), prompt, output});
      return limit == 0 || static_cast<std::int64_t>(requests_.size()) < limit;
    });
    if (requests_.empty()) throw InputError(file, "", "no requests in the CSV");
    // Ids follow arrival order (file order among equal arrivals).
    std::stable_sort(
        requests_.begin(), requests_.end(),
        [](const RequestSpec& a, const RequestSpec& b) { return a.arrival_ps < b.arrival_ps; });
    for (std::size_t i = 0; i < requests_.size(); ++i) {
      requests_[i].id = static_cast<std::int64_t>(i);
      max_prompt_ = std::max(max_prompt_, requests_[i].prompt_tokens);
      max_output_ = std::max(max_output_, requests_[i].output_tokens);
    }
  }
  std::vector<RequestSpec> initial() override { return requests_; }
  std::int64_t total() const override { return static_cast<std::int64_t>(requests_.size()); }
  std::int64_t max_prompt_tokens() const override { return max_prompt_; }
  std::int64_t max_output_tokens() const override { return max_output_; }

 private:
  std::vector<RequestSpec> requests_;
  std::int64_t max_prompt_ = 0, max_output_ = 0;
};

}  // namespace

SIEVESIM_REGISTER(ArrivalRegistry, "csv",
                  "requests from a CSV of arrival_s,prompt_tokens,output_tokens (`path`, first "
                  "`count` rows; 0 = all)",
                  [](const Params& p, const ArrivalContext& c) {
                    return std::make_unique<CsvArrivals>(p, c);
                  })

}  // namespace sievesim
