#pragma once
// Where requests come from: an arrival process (closed loop, Poisson, CSV) and prompt / output
// length distributions (fixed, uniform, lognormal), each an interface with implementations
// registered by name. Every draw is keyed by (seed, request id), so the request stream is a
// function of the configuration alone.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/params.hpp"
#include "base/registry.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"

namespace sievesim {

struct RequestSpec {
  std::int64_t id = 0;
  sim_time_t arrival_ps = 0;
  std::int64_t prompt_tokens = 0, output_tokens = 0;
};

class LengthDistribution {
 public:
  virtual ~LengthDistribution() = default;
  // One length from a uniform draw stream (the caller keys the stream by request).
  virtual std::int64_t sample(RandomStream& rng) const = 0;
  // The length of request `id`: a draw for the distributions above, a recorded request's own
  // length for the ones read from a trace.
  virtual std::int64_t of_request(std::int64_t id, RandomStream& rng) const {
    (void)id;
    return sample(rng);
  }
  // The largest length it can produce (for the KV-capacity check at load time).
  virtual std::int64_t max_tokens() const = 0;
};

// What a length distribution is for: `workload.requests.prompt` or `.output`, and the folder
// relative file names resolve against (the experiment file's).
struct LengthContext {
  enum class Part { kPrompt, kOutput } part = Part::kOutput;
  std::string base_dir;
};
using LengthRegistry = Registry<LengthDistribution, const Params&, const LengthContext&>;

// `section.key` is either a token count (a fixed length) or {dist: NAME, NAME: {...}}.
std::unique_ptr<LengthDistribution> make_length_distribution(const Params& section,
                                                             const std::string& key,
                                                             std::int64_t dflt,
                                                             const LengthContext& ctx = {});

// A context to describe length distributions with (LengthRegistry::describe).
const LengthContext& describing_length_context();

struct ArrivalContext {
  std::uint64_t seed = 1;
  std::string base_dir;  // relative paths (csv) resolve against the experiment's folder
  const LengthDistribution* prompt = nullptr;
  const LengthDistribution* output = nullptr;
};

class ArrivalProcess {
 public:
  virtual ~ArrivalProcess() = default;
  // Requests whose arrival does not depend on the simulation (all of them, but for closed loop).
  virtual std::vector<RequestSpec> initial() = 0;
  // A request finished at `finish_ps`: the requests that arrive because of it (closed loop:
  // the client sends its next one). Called in a deterministic order.
  virtual std::vector<RequestSpec> on_finish(sim_time_t finish_ps) {
    (void)finish_ps;
    return {};
  }
  // Requests the run serves in all.
  virtual std::int64_t total() const = 0;
  // Longest prompt and output any request can have.
  virtual std::int64_t max_prompt_tokens() const = 0;
  virtual std::int64_t max_output_tokens() const = 0;
};
using ArrivalRegistry = Registry<ArrivalProcess, const Params&, const ArrivalContext&>;

// Lengths of request `id` drawn from the two distributions.
RequestSpec sample_request(const ArrivalContext& ctx, std::int64_t id, sim_time_t arrival_ps);

// The request stream of a `workload.requests` section: arrival process plus lengths.
struct RequestStream {
  std::unique_ptr<LengthDistribution> prompt, output;
  std::unique_ptr<ArrivalProcess> arrivals;
};
RequestStream make_request_stream(const Params& section, std::uint64_t seed,
                                  const std::string& base_dir);

// A context to describe arrival processes with (ArrivalRegistry::describe) where no experiment
// exists: seed 1, no base folder, one-token prompts and outputs.
const ArrivalContext& describing_arrival_context();

}  // namespace sievesim
