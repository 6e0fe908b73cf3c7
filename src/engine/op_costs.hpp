#pragma once
// Costs of the non-expert work of a layer on one node: attention (projections and the KV part),
// router, shared experts, dense FFN, LM head. Model-aware glue over the GPU and PIM models.
#include <cstdint>
#include <span>

#include "common/time.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "model/model.hpp"
#include "workload/batch.hpp"

namespace sievesim {

struct AttentionCost {
  sim_time_t gpu_ps = 0;  // projections (+ the KV part when attention runs on the GPU)
  sim_time_t pim_ps = 0;  // the KV part when attention runs on the PIM
};

class OpCosts {
 public:
  OpCosts(const ModelSpec& m, const GpuModel& gpu, const PimModel& pim)
      : m_(m), gpu_(gpu), pim_(pim) {}

  // Attention of one layer for an iteration: decode tokens whose requests have `context` tokens
  // each (including the new one), on the GPU or the PIM, plus prefill chunks, always on the GPU
  // (compute-bound: no use for PIM). The projections of all tokens are one GPU kernel.
  AttentionCost attention(const LayerSpec& l, std::span<const std::int64_t> context,
                          std::span<const PrefillChunk> chunks, bool on_pim) const;
  AttentionCost attention(const LayerSpec& l, std::span<const std::int64_t> context,
                          bool on_pim) const {
    return attention(l, context, {}, on_pim);
  }
  // Prefill on the GPU: `new_tokens` prompt tokens of one sequence appended to `cached` tokens
  // of context (a chunk of chunked prefill). Causal attention: token i attends to cached + i.
  sim_time_t prefill_attention_ps(const LayerSpec& l, std::int64_t new_tokens,
                                  std::int64_t cached) const;
  sim_time_t router_ps(const LayerSpec& l, std::int64_t tokens) const;
  sim_time_t shared_experts_ps(std::int64_t tokens) const;
  sim_time_t dense_ffn_ps(const LayerSpec& l, std::int64_t tokens) const;
  sim_time_t lm_head_ps(std::int64_t tokens) const;
  // Bytes of the KV cache (or state) attention reads for these contexts.
  double attention_kv_bytes(const LayerSpec& l, std::span<const std::int64_t> context) const;

 private:
  sim_time_t weights_kernel_ps(double params, DType weights, std::int64_t tokens) const;
  // FLOPs and bytes of the KV part of a prefill chunk (one varlen kernel runs all chunks).
  void prefill_kv(const LayerSpec& l, const PrefillChunk& c, double& flops, double& bytes) const;
  const ModelSpec& m_;
  const GpuModel& gpu_;
  const PimModel& pim_;
};

}  // namespace sievesim
