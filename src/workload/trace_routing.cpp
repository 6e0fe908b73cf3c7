// Replay of recorded routing (workload/trace.hpp): simulated request r at position p in MoE
// layer m uses the trace's sequence r mod S, position p mod P, layer m mod L. A trace recorded
// from a model with another expert count is an error unless `expert_mapping: modulo` folds its
// expert ids onto the model's (a repeat inside one token's top-k moves to the next free id).
#include <algorithm>
#include <filesystem>

#include "workload/routing.hpp"
#include "workload/trace.hpp"

namespace sievesim {
namespace {

class TraceRouting final : public RoutingSource {
 public:
  TraceRouting(const Params& p, const RoutingContext& ctx) : experts_(ctx.model.routed_experts) {
    std::filesystem::path path(
        p.param<std::string>("path")
            .desc("trace file (sievesim trace format, from `sievesim trace-import`), relative "
                  "to the experiment file")
            .required());
    if (path.is_relative() && !ctx.base_dir.empty())
      path = std::filesystem::path(ctx.base_dir) / path;
    modulo_ = p.param<std::string>("expert_mapping")
                  .one_of({"none", "modulo"})
                  .desc(
                      "a trace of another expert count: an error (none), or its expert ids "
                      "folded mod the model's (modulo)")
                  .dflt("none") == "modulo";
    if (p.describing()) return;  // no file to read
    trace_ = read_trace(path.lexically_normal().string());
    if (trace_.experts != experts_ && !modulo_)
      p.fail("path", "the trace has " + std::to_string(trace_.experts) + " experts, the model " +
                         std::to_string(experts_) + "; set expert_mapping: modulo to fold them");
    if (trace_.topk != ctx.model.top_k)
      p.fail("path", "the trace has top-" + std::to_string(trace_.topk) +
                         " routing, the model top-" + std::to_string(ctx.model.top_k));
    std::int64_t m = 0;
    for (const auto& l : ctx.model.layers) moe_index_.push_back(l.moe ? m++ : -1);
  }

  void route(const RouteKey& key, std::span<std::int32_t> experts,
             std::span<float> gates) const override {
    const auto layer = moe_index_[key.layer] % trace_.layers;
    const auto seq =
        static_cast<std::int64_t>(key.request % static_cast<std::uint64_t>(trace_.sequences));
    const auto pos =
        static_cast<std::int64_t>(key.position % static_cast<std::uint64_t>(trace_.positions));
    const std::size_t r = trace_.row(layer, seq, pos);
    double sum = 0;
    for (std::size_t j = 0; j < experts.size(); ++j) {
      std::int32_t e = trace_.expert[r + j];
      if (modulo_) {
        e = static_cast<std::int32_t>(e % experts_);
        while (std::find(experts.begin(), experts.begin() + static_cast<std::ptrdiff_t>(j), e) !=
               experts.begin() + static_cast<std::ptrdiff_t>(j))
          e = static_cast<std::int32_t>((e + 1) % experts_);
      }
      experts[j] = e;
      gates[j] = trace_.weight[r + j];
      sum += gates[j];
    }
    for (auto& g : gates)
      g = sum > 0 ? static_cast<float>(g / sum) : 1.0f / static_cast<float>(gates.size());
  }

 private:
  std::int64_t experts_;
  bool modulo_ = false;
  RoutingTrace trace_;
  std::vector<std::int64_t> moe_index_;
};

}  // namespace

SIEVESIM_REGISTER(RoutingRegistry, "trace", "replay of recorded routing (sievesim trace format)",
                  [](const Params& p, const RoutingContext& c) {
                    return std::make_unique<TraceRouting>(p, c);
                  })

}  // namespace sievesim
