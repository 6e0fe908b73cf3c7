#pragma once
// Costs of the non-expert work of a layer on one node, as the named GPU kernels a serving engine
// launches, phase by phase (DESIGN §5), plus the PIM's share of attention. Every OpCosts time is
// the sum of one phase's kernels, so each kernel is counted exactly once:
//
//   pre_attention   input_rmsnorm, qkv_proj, rotary, kv_cache_write       attention().gpu_ps
//   attention       decode_attention (GPU only), prefill_attention        attention().gpu_ps
//   post_attention  o_proj, attn_residual_add, post_attention_rmsnorm     attention().gpu_after_ps
//   routing         router_gemm, router_topk, permute                     router_ps
//   shared_experts  expert_gate_up, expert_activation, expert_down        shared_experts_ps
//   dense_ffn       ffn_gate_up, ffn_activation, ffn_down, ffn_residual_add  dense_ffn_ps
//   combine         unpermute, moe_residual_add                           combine_ps
//   iteration       final_rmsnorm, lm_head, sampling                      iteration_tail_ps
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/time.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "model/model.hpp"
#include "workload/batch.hpp"

namespace sievesim {

struct AttentionCost {
  sim_time_t gpu_ps = 0;       // before attention, and the KV part when it runs on the GPU
  sim_time_t pim_ps = 0;       // the KV part when attention runs on the PIM (started at 0)
  sim_time_t pim_busy_ps = 0;  // the same without refresh: the engine places the refreshes

  sim_time_t gpu_after_ps = 0;  // after attention: output projection, residual, norm
  EnergyUse energy;             // all of the above: GPU kernels and the PIM's commands
};

class OpCosts {
 public:
  OpCosts(const ModelSpec& m, const GpuModel& gpu, const PimModel& pim)
      : m_(m), gpu_(gpu), pim_(pim) {}

  // --- the kernels of each phase (`tokens`: all tokens of the iteration on this node) ---
  std::vector<GpuKernel> pre_attention_kernels(const LayerSpec& l, std::int64_t tokens) const;
  // Decode tokens whose requests have `context` tokens each (the new one included), unless the
  // PIM computes them, and prefill chunks (always on the GPU).
  std::vector<GpuKernel> attention_kernels(const LayerSpec& l,
                                           std::span<const std::int64_t> context,
                                           std::span<const PrefillChunk> chunks, bool on_pim) const;
  std::vector<GpuKernel> post_attention_kernels(const LayerSpec& l, std::int64_t tokens) const;
  std::vector<GpuKernel> routing_kernels(const LayerSpec& l, std::int64_t tokens) const;
  std::vector<GpuKernel> shared_expert_kernels(std::int64_t tokens) const;
  std::vector<GpuKernel> dense_ffn_kernels(const LayerSpec& l, std::int64_t tokens) const;
  // After the last expert result came home: the gate-weighted sum of the k results, residual.
  std::vector<GpuKernel> combine_kernels(std::int64_t tokens) const;
  // Once per iteration, for the tokens that yield an output token.
  std::vector<GpuKernel> iteration_kernels(std::int64_t emitting) const;
  sim_time_t sum_ps(std::span<const GpuKernel> kernels) const;

  // --- the phases' times ---
  AttentionCost attention(const LayerSpec& l, std::span<const std::int64_t> context,
                          std::span<const PrefillChunk> chunks, bool on_pim) const;
  AttentionCost attention(const LayerSpec& l, std::span<const std::int64_t> context,
                          bool on_pim) const {
    return attention(l, context, {}, on_pim);
  }
  // The prefill attention kernel of `new_tokens` prompt tokens of one sequence appended to
  // `cached` tokens of context (a chunk of chunked prefill). Causal: token i sees cached + i.
  sim_time_t prefill_attention_ps(const LayerSpec& l, std::int64_t new_tokens,
                                  std::int64_t cached) const;
  sim_time_t router_ps(const LayerSpec& l, std::int64_t tokens) const;
  sim_time_t shared_experts_ps(std::int64_t tokens) const;
  sim_time_t dense_ffn_ps(const LayerSpec& l, std::int64_t tokens) const;
  sim_time_t combine_ps(std::int64_t tokens) const;
  sim_time_t iteration_tail_ps(std::int64_t emitting) const;
  sim_time_t lm_head_ps(std::int64_t tokens) const;  // the LM head kernel alone
  // --- the phases' energy (op_energy.cpp): the kernels above, priced ---
  EnergyUse energy_of(std::span<const GpuKernel> kernels) const;
  EnergyUse router_energy(const LayerSpec& l, std::int64_t tokens) const;
  EnergyUse shared_experts_energy(std::int64_t tokens) const;
  EnergyUse dense_ffn_energy(const LayerSpec& l, std::int64_t tokens) const;
  EnergyUse combine_energy(std::int64_t tokens) const;
  EnergyUse iteration_tail_energy(std::int64_t emitting) const;

  // Bytes of the KV cache (or state) attention reads for these contexts.
  double attention_kv_bytes(const LayerSpec& l, std::span<const std::int64_t> context) const;

 private:
  // pim_.attention() by (head shape, contexts), at most kAttentionMemo entries (a few per node
  // of a rank per iteration; dropped when full).
  struct KeyHash {
    std::size_t operator()(const std::vector<std::int64_t>& v) const {
      std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the words
      for (const auto x : v) h = (h ^ static_cast<std::uint64_t>(x)) * 0x100000001b3ull;
      return static_cast<std::size_t>(h);
    }
  };
  static constexpr std::size_t kAttentionMemo = 1 << 14;
  mutable std::unordered_map<std::vector<std::int64_t>, PimCost, KeyHash> pim_attention_;
  GpuKernel gemm(const char* name, double params, DType weights, std::int64_t tokens, double in_dim,
                 double out_dim) const;
  GpuKernel elementwise(const char* name, std::int64_t tokens, double elements_read,
                        double elements_written) const;
  void ffn_kernels(std::int64_t tokens, double params, std::int64_t intermediate, bool gated,
                   DType weights, const char* gate_up, const char* act, const char* down,
                   std::vector<GpuKernel>& out) const;
  // FLOPs and bytes of the KV part of a prefill chunk (one varlen kernel runs all chunks).
  void prefill_kv(const LayerSpec& l, const PrefillChunk& c, double& flops, double& bytes) const;
  // The output projection's share of a layer's attention parameters.
  double o_proj_params(const LayerSpec& l) const;
  const ModelSpec& m_;
  const GpuModel& gpu_;
  const PimModel& pim_;
};

}  // namespace sievesim
