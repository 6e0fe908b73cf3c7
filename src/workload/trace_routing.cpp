// Replay of recorded routing (workload/trace.hpp). Simulated request r replays recorded sequence
// s = r mod S; its token at simulated position p is the recording's token
//   (p - first_position + (r div S) * pass_offset) mod length(s)
// in MoE layer m mod L: a request replays one recording token by token and wraps around with
// that recording's own length when it runs longer. With the defaults (first_position 0,
// pass_offset 0) a version 1 trace replays as it always did (position p mod P). `first_position`
// exists because decode positions start at the prompt length while recordings start at their
// first generated token; `pass_offset` shifts every further pass over the recordings, so that
// requests r and r + S running side by side do not route identically. `position_origin:
// recorded` replaces first_position by each recording's own prompt length, for runs whose prompt
// lengths are the recorded ones (workload/trace_length.cpp).
//
// A trace recorded from a model with another expert count is an error unless told how to map ids:
// `expert_mapping: modulo` folds them mod the model's count (a repeat inside one token's top-k
// moves to the next free id); `spread: true` (model experts a multiple f of the trace's) maps
// recorded id e of request r to e * f + (r mod f), so every model expert is used, each request
// keeps its own locality and cross-layer correlation, and a recorded expert's f copies are
// neighbours (the same GPU under a contiguous placement, as the recorded expert was one GPU's
// load).
#include <algorithm>

#include "workload/routing.hpp"
#include "workload/trace.hpp"
#include "workload/trace_cache.hpp"

namespace sievesim {
namespace {

class TraceRouting final : public RoutingSource {
 public:
  TraceRouting(const Params& p, const RoutingContext& ctx) : experts_(ctx.model.routed_experts) {
    const std::string path = trace_path(
        p.param<std::string>("path")
            .desc("trace file (sievesim trace format, from `sievesim trace-import`), relative "
                  "to the experiment file")
            .required(),
        ctx.base_dir);
    modulo_ = p.param<std::string>("expert_mapping")
                  .one_of({"none", "modulo"})
                  .desc(
                      "a trace of another expert count: an error (none), or its expert ids "
                      "folded mod the model's (modulo)")
                  .dflt("none") == "modulo";
    spread_ = p.param<bool>("spread")
                  .desc(
                      "a trace of f times fewer experts than the model: id e of request r "
                      "replays as e * f + (r mod f), so every model expert is used")
                  .dflt(false);
    if (spread_ && modulo_)
      p.fail("spread", "spread and expert_mapping: modulo exclude each other");
    first_position_ = p.param<std::int64_t>("first_position")
                          .min(0)
                          .max(1 << 30)
                          .desc(
                              "simulated token position that replays a recording's first token "
                              "(set it to the prompt length to start decode at the first "
                              "generated token)")
                          .dflt(0);
    pass_offset_ = p.param<std::int64_t>("pass_offset")
                       .min(0)
                       .max(1 << 30)
                       .desc(
                           "tokens by which each further pass over the recordings (request r "
                           "with r >= S, S the recorded sequences) starts later in its recording")
                       .dflt(0);
    const bool recorded_origin =
        p.param<std::string>("position_origin")
            .one_of({"fixed", "recorded"})
            .desc(
                "fixed: position first_position replays a recording's first token; recorded: "
                "request r's position P_s replays its recording's first token, P_s the "
                "recording's prompt length (version 2 traces; use with prompt: {dist: trace}, "
                "so every decode token replays the recorded token of its own position)")
            .dflt("fixed") == "recorded";
    if (p.describing()) return;  // no file to read
    trace_ = shared_trace(path);
    if (spread_) {
      if (experts_ < trace_->experts || experts_ % trace_->experts != 0)
        p.fail("spread", "spread needs the model's experts (" + std::to_string(experts_) +
                             ") a multiple of the trace's (" + std::to_string(trace_->experts) +
                             ")");
      spread_factor_ = experts_ / trace_->experts;
    } else if (trace_->experts != experts_ && !modulo_) {
      p.fail("path", "the trace has " + std::to_string(trace_->experts) + " experts, the model " +
                         std::to_string(experts_) +
                         "; set expert_mapping: modulo or spread: true to map them");
    }
    if (trace_->topk != ctx.model.top_k)
      p.fail("path", "the trace has top-" + std::to_string(trace_->topk) +
                         " routing, the model top-" + std::to_string(ctx.model.top_k));
    if (recorded_origin && !trace_->request_level())
      p.fail("position_origin", "recorded needs a version 2 trace (one with a request table), " +
                                    path + " is version 1");
    for (std::int64_t s = 0; s < trace_->sequences; ++s)
      origin_.push_back(recorded_origin
                            ? trace_->requests[static_cast<std::size_t>(s)].first_position
                            : first_position_);
    std::int64_t m = 0;
    for (const auto& l : ctx.model.layers) moe_index_.push_back(l.moe ? m++ : -1);
  }

  void route(const RouteKey& key, std::span<std::int32_t> experts,
             std::span<float> gates) const override {
    const auto layer = moe_index_[key.layer] % trace_->layers;
    const auto sequences = static_cast<std::uint64_t>(trace_->sequences);
    const auto seq = static_cast<std::int64_t>(key.request % sequences);
    const auto pass = static_cast<std::int64_t>(key.request / sequences);
    const std::int64_t length = trace_->length[static_cast<std::size_t>(seq)];
    // pass * pass_offset is reduced first: request ids reach 2^40 without overflowing.
    const std::int64_t shift = (pass % length) * (pass_offset_ % length) % length;
    std::int64_t pos =
        (static_cast<std::int64_t>(key.position) - origin_[static_cast<std::size_t>(seq)]) % length;
    pos = (pos + length + shift) % length;
    const std::size_t r = trace_->row(layer, seq, pos);
    const auto copy =
        spread_
            ? static_cast<std::int32_t>(key.request % static_cast<std::uint64_t>(spread_factor_))
            : 0;
    double sum = 0;
    for (std::size_t j = 0; j < experts.size(); ++j) {
      std::int32_t e = trace_->expert[r + j];
      if (spread_) {
        e = static_cast<std::int32_t>(e * spread_factor_) + copy;
      } else if (modulo_) {
        e = static_cast<std::int32_t>(e % experts_);
        while (std::find(experts.begin(), experts.begin() + static_cast<std::ptrdiff_t>(j), e) !=
               experts.begin() + static_cast<std::ptrdiff_t>(j))
          e = static_cast<std::int32_t>((e + 1) % experts_);
      }
      experts[j] = e;
      gates[j] = trace_->weight[r + j];
      sum += gates[j];
    }
    for (auto& g : gates)
      g = sum > 0 ? static_cast<float>(g / sum) : 1.0f / static_cast<float>(gates.size());
  }

 private:
  std::int64_t experts_;
  bool modulo_ = false, spread_ = false;
  std::int64_t spread_factor_ = 1, first_position_ = 0, pass_offset_ = 0;
  std::shared_ptr<const RoutingTrace> trace_;
  std::vector<std::int64_t> origin_;  // per recorded sequence: the position of its first token
  std::vector<std::int64_t> moe_index_;
};

}  // namespace

SIEVESIM_REGISTER(RoutingRegistry, "trace",
                  "replay of recorded routing (sievesim trace format): request r replays "
                  "recording r mod S token by token, wrapping with its length",
                  [](const Params& p, const RoutingContext& c) {
                    return std::make_unique<TraceRouting>(p, c);
                  })

}  // namespace sievesim
