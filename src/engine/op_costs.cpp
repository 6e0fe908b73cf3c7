#include "engine/op_costs.hpp"

#include <algorithm>

namespace sievesim {

sim_time_t OpCosts::weights_kernel_ps(double params, DType weights, std::int64_t tokens) const {
  if (params <= 0 || tokens <= 0) return 0;
  const double act = dtype_bytes(m_.activation_dtype);
  const double bytes = params * dtype_bytes(weights) +
                       static_cast<double>(tokens) * static_cast<double>(m_.hidden) * act * 2.0;
  return gpu_.kernel_ps(2.0 * params * static_cast<double>(tokens), bytes,
                        gemm_math_dtype(weights, m_.activation_dtype));
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
                                 bool on_pim) const {
  AttentionCost c;
  const auto batch = static_cast<std::int64_t>(context.size());
  if (batch == 0) return c;
  c.gpu_ps = weights_kernel_ps(static_cast<double>(l.attention_params), m_.weight_dtype, batch);
  const double kv = attention_kv_bytes(l, context);
  if (on_pim) {
    c.pim_ps = pim_.attention_ps(kv, batch);
  } else {
    // Score and context products: about 2 FLOPs per KV element read, per query head sharing it.
    const double group = m_.num_kv_heads > 0 ? static_cast<double>(m_.num_heads) /
                                                   static_cast<double>(m_.num_kv_heads)
                                             : 1.0;
    const double flops = 2.0 * group * kv / dtype_bytes(m_.kv_dtype);
    c.gpu_ps += gpu_.kernel_ps(flops, kv, m_.activation_dtype);
  }
  return c;
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
