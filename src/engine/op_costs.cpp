#include "engine/op_costs.hpp"

#include <algorithm>

namespace sievesim {

sim_time_t OpCosts::weights_kernel_ps(double params, DType weights, std::int64_t tokens) const {
  if (params <= 0 || tokens <= 0) return 0;
  // A dense projection is a grouped GEMM of one group: the same efficiency curves apply.
  const GemmShape g{params, params * dtype_bytes(weights), m_.hidden, m_.hidden, weights};
  const std::int32_t t[1] = {static_cast<std::int32_t>(tokens)};
  return gpu_.grouped_gemm(t, g, m_.activation_dtype).time_ps;
}

double OpCosts::attention_kv_bytes(const LayerSpec& l,
                                   std::span<const std::int64_t> context) const {
  double bytes = 0;
  for (auto ctx : context) {
    switch (l.attention) {
      case AttentionKind::kSlidingWindow:
        bytes += static_cast<double>(std::min(ctx, l.window_tokens)) * l.kv_bytes_per_token;
        break;
      case AttentionKind::kLinear:
        // The recurrent state is read and written back once per token.
        bytes += 2.0 * l.state_bytes_per_sequence;
        break;
      default:
        bytes += static_cast<double>(ctx) * l.kv_bytes_per_token;
    }
  }
  return bytes;
}

AttentionCost OpCosts::attention(const LayerSpec& l, std::span<const std::int64_t> context,
                                 std::span<const PrefillChunk> chunks, bool on_pim) const {
  AttentionCost c;
  const auto batch = static_cast<std::int64_t>(context.size());
  std::int64_t tokens = batch;
  double pf_flops = 0, pf_bytes = 0;
  for (const auto& ch : chunks) {
    tokens += ch.new_tokens;
    prefill_kv(l, ch, pf_flops, pf_bytes);
  }
  c.gpu_ps = weights_kernel_ps(static_cast<double>(l.attention_params), m_.weight_dtype, tokens);
  if (!chunks.empty()) c.gpu_ps += gpu_.kernel_ps(pf_flops, pf_bytes, m_.activation_dtype);
  if (batch == 0) return c;
  const double kv = attention_kv_bytes(l, context);
  // Linear attention's delta-rule state update is a read-modify-write of the whole state, not a
  // GEMV the PIM units compute, so those layers stay on the GPU whatever the policy.
  if (on_pim && l.attention != AttentionKind::kLinear) {
    std::vector<AttentionHead> heads;
    heads.reserve(static_cast<std::size_t>(batch * l.kv_heads));
    for (auto ctx : context) {
      const auto len =
          l.attention == AttentionKind::kSlidingWindow ? std::min(ctx, l.window_tokens) : ctx;
      for (std::int64_t h = 0; h < l.kv_heads; ++h)
        heads.push_back(AttentionHead{len, l.queries_per_kv, l.key_dim, l.value_dim, m_.kv_dtype});
    }
    c.pim_ps = pim_.attention(heads).time_ps;
    return c;
  }
  // Score and context products: 2 FLOPs per (query, key or value element) of every cached token.
  double flops = 0;
  if (l.attention == AttentionKind::kLinear) {
    // Output (S^T q) and delta-rule update touch each fp32 state element twice: ~4 FLOPs.
    const double state_elements = l.state_bytes_per_sequence / 4.0;
    flops = 4.0 * state_elements * static_cast<double>(batch);
  } else {
    for (auto ctx : context) {
      const auto len =
          l.attention == AttentionKind::kSlidingWindow ? std::min(ctx, l.window_tokens) : ctx;
      flops += 2.0 *
               static_cast<double>(len * l.kv_heads * l.queries_per_kv * (l.key_dim + l.value_dim));
    }
  }
  c.gpu_ps += gpu_.kernel_ps(flops, kv, m_.activation_dtype);
  return c;
}

void OpCosts::prefill_kv(const LayerSpec& l, const PrefillChunk& ch, double& flops,
                         double& bytes) const {
  const double n = static_cast<double>(ch.new_tokens), c = static_cast<double>(ch.cached);
  if (n <= 0) return;
  if (l.attention == AttentionKind::kLinear) {
    // Chunked delta-rule scan: the state is read and written once per chunk, ~4 FLOPs per state
    // element per token.
    flops += 4.0 * l.state_bytes_per_sequence / 4.0 * n;
    bytes += 2.0 * l.state_bytes_per_sequence;
    return;
  }
  // Keys visible to the new tokens: sum over i = 1..n of (cached + i), capped by the window.
  double visible = n * c + n * (n + 1) / 2;
  if (l.attention == AttentionKind::kSlidingWindow)
    visible = std::min(visible, n * static_cast<double>(l.window_tokens));
  flops += 2.0 * visible *
           static_cast<double>(l.kv_heads * l.queries_per_kv * (l.key_dim + l.value_dim));
  // The cache is read once per chunk (flash attention keeps tiles on chip) and the new tokens'
  // entries are written.
  const double ctx = l.attention == AttentionKind::kSlidingWindow
                         ? std::min(c + n, static_cast<double>(l.window_tokens))
                         : c + n;
  bytes += (ctx + n) * l.kv_bytes_per_token;
}

sim_time_t OpCosts::prefill_attention_ps(const LayerSpec& l, std::int64_t new_tokens,
                                         std::int64_t cached) const {
  if (new_tokens <= 0) return 0;
  const PrefillChunk ch{new_tokens, cached};
  return attention(l, {}, std::span<const PrefillChunk>(&ch, 1), false).gpu_ps;
}

sim_time_t OpCosts::router_ps(const LayerSpec& l, std::int64_t tokens) const {
  return weights_kernel_ps(static_cast<double>(l.router_params), DType::kBF16, tokens);
}

sim_time_t OpCosts::shared_experts_ps(std::int64_t tokens) const {
  if (m_.shared_experts == 0 || m_.shared_expert.intermediate == 0 || tokens == 0) return 0;
  std::vector<std::int32_t> t(static_cast<std::size_t>(m_.shared_experts),
                              static_cast<std::int32_t>(tokens));
  return gpu_.grouped_gemm_ps(t, m_.shared_expert, m_.activation_dtype);
}

sim_time_t OpCosts::dense_ffn_ps(const LayerSpec& l, std::int64_t tokens) const {
  return weights_kernel_ps(static_cast<double>(l.dense_ffn_params), m_.weight_dtype, tokens);
}

sim_time_t OpCosts::lm_head_ps(std::int64_t tokens) const {
  return weights_kernel_ps(static_cast<double>(m_.vocab * m_.hidden), DType::kBF16, tokens);
}

}  // namespace sievesim
