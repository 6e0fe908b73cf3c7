#pragma once
// Continuous batching on one node: the requests assigned to it wait in a queue, are admitted
// first come first served while their whole KV cache (prompt + output) fits, and every iteration
// gets a token budget filled with one decode token per running request and then prefill chunks.
// Finished requests free their KV at the end of the iteration they finish in.
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "base/time.hpp"
#include "model/model.hpp"
#include "workload/request_row.hpp"
#include "workload/requests.hpp"

namespace sievesim {

enum class ServeMode {
  kServe,    // prefill then decode, colocated (chunked prefill)
  kDecode,   // prompts arrive already in the KV cache (prefill done elsewhere): decode only
  kPrefill,  // prompt processing only: a request ends with its first token
};

struct BatchConfig {
  ServeMode mode = ServeMode::kServe;
  std::int64_t max_tokens = 8192;  // tokens per iteration (decode + prefill chunks)
  std::int64_t max_requests = 0;   // running requests; 0 = as many as the KV cache holds
  double kv_capacity_bytes = 0;    // HBM left for KV after the weights
  std::int64_t warmup_iterations = 0;
};

// One token of the iteration: which request, which position of its sequence.
struct TokenSlot {
  std::uint64_t request = 0;
  std::uint32_t position = 0;
};

struct PrefillChunk {
  std::int64_t new_tokens = 0, cached = 0;
};

class NodeBatch {
 public:
  NodeBatch(std::int32_t node, const BatchConfig& cfg, const ModelSpec& model);

  void enqueue(const RequestSpec& r);
  // Admits what fits and lays out the iteration. Returns when it starts: `now_ps`, or the next
  // arrival when the node has nothing to run until then.
  sim_time_t plan(sim_time_t now_ps, std::int64_t iteration);
  // Ends the iteration at `end_ps`: emitting sequences get a token, finished ones leave (their
  // rows appended to `finished`).
  void complete(sim_time_t end_ps, std::vector<RequestRow>& finished);
  // Rows of the requests still queued or running (the run stopped before they finished).
  void unfinished(std::vector<RequestRow>& out) const;

  const std::vector<TokenSlot>& tokens() const { return tokens_; }
  std::span<const std::int64_t> decode_context() const { return decode_context_; }
  std::span<const PrefillChunk> prefill_chunks() const { return chunks_; }
  std::int64_t decode_tokens() const { return static_cast<std::int64_t>(decode_context_.size()); }
  std::int64_t prefill_tokens() const {
    return static_cast<std::int64_t>(tokens_.size()) - decode_tokens();
  }
  std::int64_t emitting() const { return emitting_; }  // sequences that get a token this iteration
  std::int64_t running() const { return static_cast<std::int64_t>(running_.size()); }
  std::int64_t outstanding() const { return running() + static_cast<std::int64_t>(queue_.size()); }
  double kv_used_bytes() const { return kv_used_bytes_; }
  double kv_peak_bytes() const { return kv_peak_bytes_; }  // the most KV ever reserved at once
  // HBM the KV cache may fill from now on (a node that took expert copies of a failed node).
  void set_kv_capacity(double bytes) { cfg_.kv_capacity_bytes = bytes; }
  // Hands over every request held (running first, in admission order, then the queue) and
  // frees their KV: the node failed.
  void evict(std::vector<RequestSpec>& out);
  // KV one request reserves when admitted.
  double reserve_bytes(const RequestSpec& r) const;

 private:
  struct Sequence {
    RequestSpec spec;
    double kv_bytes = 0;
    std::int64_t cached = 0, emitted = 0, admitted_iteration = 0;
    sim_time_t admitted_ps = 0, first_token_ps = -1, last_token_ps = -1, measured_first_ps = -1;
    std::int64_t measured_tokens = 0;
    std::int64_t planned = 0;  // tokens in this iteration
    bool emits = false;        // gets an output token at the end of this iteration
  };
  RequestRow row(const Sequence& s, sim_time_t finish_ps) const;

  std::int32_t node_;
  BatchConfig cfg_;
  const ModelSpec& model_;
  std::deque<RequestSpec> queue_;
  std::vector<Sequence> running_;  // in admission order
  double kv_used_bytes_ = 0, kv_peak_bytes_ = 0;
  std::int64_t iteration_ = 0;
  std::vector<TokenSlot> tokens_;
  std::vector<std::int64_t> decode_context_;
  std::vector<PrefillChunk> chunks_;
  std::int64_t emitting_ = 0;
};

}  // namespace sievesim
