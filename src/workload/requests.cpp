#include "workload/requests.hpp"

#include "base/select.hpp"

namespace sievesim {

std::unique_ptr<LengthDistribution> make_length_distribution(const Params& section,
                                                             const std::string& key,
                                                             std::int64_t dflt,
                                                             const LengthContext& ctx) {
  const YAML::Node raw = section.input()[key];
  if (!raw.IsDefined() || raw.IsNull() || raw.IsScalar()) {
    // The shorthand `prompt: 1024` is a fixed length; spelled out so the resolved configuration
    // shows the distribution.
    YAML::Node spelled(YAML::NodeType::Map);
    spelled["dist"] = "fixed";
    spelled["fixed"]["tokens"] = (!raw.IsDefined() || raw.IsNull()) ? YAML::Node(dflt) : raw;
    return make_selected<LengthRegistry>(section.child_with_input(key, spelled), "dist", "fixed",
                                         "length distribution", ctx);
  }
  return make_selected<LengthRegistry>(section.child(key), "dist", "fixed", "length distribution",
                                       ctx);
}

RequestSpec sample_request(const ArrivalContext& ctx, std::int64_t id, sim_time_t arrival_ps) {
  RandomStream rng(stream_seed(ctx.seed, StreamId::kRequestLengths), static_cast<std::uint32_t>(id),
                   static_cast<std::uint32_t>(static_cast<std::uint64_t>(id) >> 32), 0);
  RequestSpec r;
  r.id = id;
  r.arrival_ps = arrival_ps;
  r.prompt_tokens = ctx.prompt->of_request(id, rng);
  r.output_tokens = ctx.output->of_request(id, rng);
  return r;
}

const ArrivalContext& describing_arrival_context() {
  class OneToken final : public LengthDistribution {
   public:
    std::int64_t sample(RandomStream&) const override { return 1; }
    std::int64_t max_tokens() const override { return 1; }
  };
  static const OneToken one;
  static const ArrivalContext ctx{1, "", &one, &one};
  return ctx;
}

const LengthContext& describing_length_context() {
  static const LengthContext ctx{};
  return ctx;
}

RequestStream make_request_stream(const Params& section, std::uint64_t seed,
                                  const std::string& base_dir) {
  RequestStream s;
  s.prompt =
      make_length_distribution(section, "prompt", 1024, {LengthContext::Part::kPrompt, base_dir});
  s.output =
      make_length_distribution(section, "output", 128, {LengthContext::Part::kOutput, base_dir});
  const ArrivalContext ctx{seed, base_dir, s.prompt.get(), s.output.get()};
  s.arrivals = make_selected<ArrivalRegistry>(section, "arrival", "closed", "arrival process", ctx);
  return s;
}

}  // namespace sievesim
