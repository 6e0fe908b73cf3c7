#pragma once
// The small CSV inputs (request arrivals, expert loads): numbers separated by commas, `#` starts
// a comment, blank lines skipped. Each remaining line reaches `fn(line_no, row, line)` with the
// commas turned into spaces, so `row >> a >> b` reads its fields; `fn` returns false to stop.
#include <algorithm>
#include <cstdint>
#include <istream>
#include <sstream>
#include <string>

namespace sievesim {

template <class Fn>
void for_each_csv_row(std::istream& in, Fn fn) {
  std::string line;
  std::int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream row(line);
    if (!fn(line_no, row, line)) return;
  }
}

}  // namespace sievesim
