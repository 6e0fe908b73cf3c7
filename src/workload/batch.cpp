#include "workload/batch.hpp"

#include <algorithm>
#include <string>

#include "base/error.hpp"

namespace sievesim {

NodeBatch::NodeBatch(std::int32_t node, const BatchConfig& cfg, const ModelSpec& model)
    : node_(node), cfg_(cfg), model_(model) {}

double NodeBatch::reserve_bytes(const RequestSpec& r) const {
  // The whole sequence is reserved at admission, so a running request never has to be evicted.
  const auto tokens =
      cfg_.mode == ServeMode::kPrefill ? r.prompt_tokens : r.prompt_tokens + r.output_tokens;
  return model_.sequence_kv_bytes(tokens);
}

void NodeBatch::enqueue(const RequestSpec& r) {
  queue_.push_back(r);
}

void NodeBatch::evict(std::vector<RequestSpec>& out) {
  for (const auto& s : running_) out.push_back(s.spec);
  out.insert(out.end(), queue_.begin(), queue_.end());
  running_.clear();
  queue_.clear();
  kv_used_bytes_ = 0;
  tokens_.clear();
  decode_context_.clear();
  chunks_.clear();
  emitting_ = 0;
}

sim_time_t NodeBatch::plan(sim_time_t now_ps, std::int64_t iteration) {
  iteration_ = iteration;
  if (running_.empty() && !queue_.empty()) now_ps = std::max(now_ps, queue_.front().arrival_ps);
  while (!queue_.empty()) {
    const RequestSpec& r = queue_.front();
    if (r.arrival_ps > now_ps) break;
    if (cfg_.max_requests > 0 && running() >= cfg_.max_requests) break;
    const double need = reserve_bytes(r);
    if (kv_used_bytes_ + need > cfg_.kv_capacity_bytes) {
      if (running_.empty())
        throw SimulationError("request " + std::to_string(r.id) + " can never fit node " +
                              std::to_string(node_) + "'s KV cache");
      break;  // first come, first served: later requests wait behind it
    }
    Sequence s;
    s.spec = r;
    s.kv_bytes = need;
    s.cached = cfg_.mode == ServeMode::kDecode ? r.prompt_tokens : 0;
    s.admitted_ps = now_ps;
    s.admitted_iteration = iteration;
    kv_used_bytes_ += need;
    kv_peak_bytes_ = std::max(kv_peak_bytes_, kv_used_bytes_);
    running_.push_back(s);
    queue_.pop_front();
  }

  tokens_.clear();
  decode_context_.clear();
  chunks_.clear();
  emitting_ = 0;
  std::int64_t budget = cfg_.max_tokens;
  for (auto& s : running_) {
    s.planned = 0;
    s.emits = false;
  }
  // Decode tokens first (one per running request past its prompt), then prefill chunks in
  // admission order with what is left of the budget.
  for (auto& s : running_) {
    if (s.cached < s.spec.prompt_tokens || budget == 0) continue;
    tokens_.push_back(
        TokenSlot{static_cast<std::uint64_t>(s.spec.id), static_cast<std::uint32_t>(s.cached)});
    decode_context_.push_back(s.cached + 1);
    s.planned = 1;
    s.emits = true;
    --budget;
  }
  for (auto& s : running_) {
    if (s.cached >= s.spec.prompt_tokens || budget == 0) continue;
    const std::int64_t n = std::min(s.spec.prompt_tokens - s.cached, budget);
    for (std::int64_t i = 0; i < n; ++i)
      tokens_.push_back(TokenSlot{static_cast<std::uint64_t>(s.spec.id),
                                  static_cast<std::uint32_t>(s.cached + i)});
    chunks_.push_back(PrefillChunk{n, s.cached});
    s.planned = n;
    s.emits = s.cached + n == s.spec.prompt_tokens;  // the last chunk yields the first token
    budget -= n;
  }
  for (const auto& s : running_) emitting_ += s.emits ? 1 : 0;
  return now_ps;
}

RequestRow NodeBatch::row(const Sequence& s, sim_time_t finish_ps) const {
  RequestRow r;
  r.request = s.spec.id;
  r.node = node_;
  r.arrival_ps = s.spec.arrival_ps;
  r.admitted_ps = s.admitted_ps;
  r.admitted_iteration = s.admitted_iteration;
  r.first_token_ps = s.first_token_ps;
  r.last_token_ps = s.last_token_ps;
  r.finish_ps = finish_ps;
  r.prompt_tokens = s.spec.prompt_tokens;
  r.output_tokens = s.emitted;
  r.measured_first_ps = s.measured_first_ps;
  r.measured_tokens = s.measured_tokens;
  return r;
}

void NodeBatch::complete(sim_time_t end_ps, std::vector<RequestRow>& finished) {
  const bool measured = iteration_ >= cfg_.warmup_iterations;
  std::size_t keep = 0;
  for (std::size_t i = 0; i < running_.size(); ++i) {
    Sequence& s = running_[i];
    s.cached += s.planned;
    if (s.emits) {
      ++s.emitted;
      if (s.first_token_ps < 0) s.first_token_ps = end_ps;
      s.last_token_ps = end_ps;
      if (measured) {
        if (s.measured_first_ps < 0) s.measured_first_ps = end_ps;
        ++s.measured_tokens;
      }
    }
    const bool done = cfg_.mode == ServeMode::kPrefill ? s.cached == s.spec.prompt_tokens
                                                       : s.emitted == s.spec.output_tokens;
    if (done) {
      finished.push_back(row(s, end_ps));
      kv_used_bytes_ -= s.kv_bytes;
      continue;
    }
    if (keep != i) running_[keep] = std::move(running_[i]);
    ++keep;
  }
  running_.resize(keep);
  if (running_.empty()) kv_used_bytes_ = 0;  // no drift from repeated float subtraction
}

void NodeBatch::unfinished(std::vector<RequestRow>& out) const {
  for (const auto& s : running_) out.push_back(row(s, -1));
  for (const auto& q : queue_) {
    Sequence s;
    s.spec = q;
    s.admitted_ps = -1;
    s.admitted_iteration = -1;
    out.push_back(row(s, -1));
  }
}

}  // namespace sievesim
