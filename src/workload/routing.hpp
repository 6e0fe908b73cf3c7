#pragma once
// Routing sources: which top-k experts each token picks in each MoE layer. Every decision is a
// pure function of (seed, request, token position, layer) so results never depend on ranks.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/registry.hpp"
#include "config/params.hpp"
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

// Draws k distinct experts from a cumulative distribution (inverse CDF, redraw on repeats) and
// gives them gate weights proportional to their probabilities. Shared by the synthetic sources.
void draw_topk_from_cdf(std::span<const double> cdf, std::uint64_t seed, const RouteKey& key,
                        std::span<std::int32_t> experts, std::span<float> gates);

}  // namespace sievesim
