// Lengths as recorded: request r gets the prompt and output lengths of the recorded request it
// replays (r mod S, as the trace routing source assigns them), so a replayed request ends where
// its recording ended instead of wrapping around or stopping early. The output length is the
// recorded generated tokens; the prompt length is the position of the first generated token
// (version 2 traces keep it per request). `scale` stretches or shrinks every recorded length, for
// a request mix of the recorded shape at another size.
#include <algorithm>
#include <cmath>

#include "workload/requests.hpp"
#include "workload/trace_cache.hpp"

namespace sievesim {
namespace {

class TraceLength final : public LengthDistribution {
 public:
  TraceLength(const Params& p, const LengthContext& ctx) {
    const std::string path = trace_path(
        p.param<std::string>("path")
            .desc("trace file (sievesim trace format) whose request lengths to use: the recorded "
                  "output tokens for `output`, the recorded prompt length for `prompt`; the "
                  "same file as the trace routing source's, relative to the experiment file")
            .required(),
        ctx.base_dir);
    const double scale = p.param<double>("scale")
                             .min(1e-6)
                             .max(1e6)
                             .desc("factor on every recorded length (rounded, at least 1 token)")
                             .dflt(1.0);
    if (p.describing()) return;
    const auto t = shared_trace(path);
    const bool prompt = ctx.part == LengthContext::Part::kPrompt;
    if (prompt && !t->request_level())
      p.fail("path", "recorded prompt lengths need a version 2 trace (one with a request table), " +
                         path + " is version 1");
    for (std::int64_t s = 0; s < t->sequences; ++s) {
      const auto u = static_cast<std::size_t>(s);
      const auto recorded = prompt ? t->requests[u].first_position : t->length[u];
      const auto n = std::max<std::int64_t>(1, std::llround(static_cast<double>(recorded) * scale));
      if (n > (1 << 24))
        p.fail("scale", "recorded length " + std::to_string(recorded) + " times " +
                            std::to_string(scale) + " exceeds 2^24 tokens");
      lengths_.push_back(n);
    }
    if (lengths_.empty()) p.fail("path", "the trace holds no requests");
    max_ = *std::max_element(lengths_.begin(), lengths_.end());
  }

  std::int64_t sample(RandomStream&) const override { return lengths_.empty() ? 1 : lengths_[0]; }
  std::int64_t of_request(std::int64_t id, RandomStream&) const override {
    if (lengths_.empty()) return 1;  // described, not built
    return lengths_[static_cast<std::size_t>(static_cast<std::uint64_t>(id) % lengths_.size())];
  }
  std::int64_t max_tokens() const override { return max_; }

 private:
  std::vector<std::int64_t> lengths_;
  std::int64_t max_ = 1;
};

}  // namespace

SIEVESIM_REGISTER(LengthRegistry, "trace",
                  "the recorded lengths of a trace's requests: request r gets recording r mod S's "
                  "prompt (its first generated token's position) or output length",
                  [](const Params& p, const LengthContext& c) {
                    return std::make_unique<TraceLength>(p, c);
                  })

}  // namespace sievesim
