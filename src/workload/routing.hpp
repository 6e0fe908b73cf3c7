#pragma once
// Routing sources: which top-k experts each token picks in each MoE layer. Every decision is a
// pure function of (seed, request, token position, layer) so results never depend on ranks.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/params.hpp"
#include "base/registry.hpp"
#include "model/model.hpp"

namespace sievesim {

struct RouteKey {
  std::uint64_t request = 0;   // global request id
  std::uint32_t position = 0;  // token position in its sequence
  std::uint32_t layer = 0;     // model layer index
};

class RoutingSource {
 public:
  virtual ~RoutingSource() = default;
  // Fills `experts` (k distinct logical expert ids) and `gates` (their weights, summing to 1).
  virtual void route(const RouteKey& key, std::span<std::int32_t> experts,
                     std::span<float> gates) const = 0;
};

struct RoutingContext {
  const ModelSpec& model;
  std::uint64_t seed;
  std::string base_dir;  // relative file names (a trace) are relative to the experiment file
};

using RoutingRegistry = Registry<RoutingSource, const Params&, const RoutingContext&>;

// Reads `source:` from `p` and builds that routing source (its parameters in the subsection of
// the same name).
std::unique_ptr<RoutingSource> make_routing_source(const Params& p, const RoutingContext& ctx);

// A context to describe routing sources with (RoutingRegistry::describe) where no experiment
// exists: a small sample MoE model (8 experts, top-2, 2 layers), seed 1, no base folder.
const RoutingContext& describing_routing_context();

// Draws k distinct experts from a cumulative distribution (inverse CDF, redraw on repeats) and
// gives them gate weights proportional to their probabilities. Shared by the synthetic sources.
void draw_topk_from_cdf(std::span<const double> cdf, std::uint64_t seed, const RouteKey& key,
                        std::span<std::int32_t> experts, std::span<float> gates);

// Cumulative weights with a guide table (Chen and Asau, 1974): the inverse-CDF search starts at
// the first index that can be the answer for the uniform's leading bits, so it takes about one
// comparison instead of log2(E) (9 for 512 experts) while the routing draws ~10^6 experts per
// simulated layer. It returns exactly std::upper_bound's index, so draws are unchanged.
class CdfTable {
 public:
  explicit CdfTable(std::vector<double> cdf);
  std::span<const double> cdf() const { return {cdf_.data(), cdf_.size() - 1}; }
  double total() const { return cdf_[cdf_.size() - 2]; }
  // The first index whose cumulative weight exceeds fl(r * total()), as upper_bound finds it
  // (n when none does); r in [0, 1) as RandomStream::next_double gives it.
  std::int32_t upper_index(double r) const {
    const double u = r * total();
    // r * 2^bits is exact (r has 53 bits) and fl(x * total) grows with x, so every index below
    // guide_[j] has a weight <= fl((j / 2^bits) * total) <= u: the answer is not below it.
    auto i = guide_[static_cast<std::size_t>(r * guide_scale_)];
    while (cdf_[static_cast<std::size_t>(i)] <= u) ++i;  // stops at the +inf sentinel at most
    return i;
  }

 private:
  std::vector<double> cdf_;  // the cumulative weights, then +inf
  std::vector<std::int32_t> guide_;
  double guide_scale_ = 1;  // 2^bits, the guide table's size
};

// draw_topk_from_cdf with a guide table: the same draws, faster.
void draw_topk(const CdfTable& table, std::uint64_t seed, const RouteKey& key,
               std::span<std::int32_t> experts, std::span<float> gates);

}  // namespace sievesim
