#include "engine/op_costs.hpp"

#include <algorithm>

namespace sievesim {

GpuKernel OpCosts::gemm(const char* name, double params, DType weights, std::int64_t tokens,
                        double in_dim, double out_dim) const {
  const auto t = static_cast<double>(tokens);
  const auto padded = static_cast<double>(gpu_.padded_tokens(static_cast<std::int32_t>(tokens)));
  const DType act = m_.activation_dtype;
  return GpuKernel{name,
                   KernelClass::kGemm,
                   2.0 * params * t,
                   params * dtype_bytes(weights) + t * (in_dim + out_dim) * dtype_bytes(act),
                   gemm_math_dtype(weights, act),
                   weights,
                   2.0 * params * padded};
}

GpuKernel OpCosts::elementwise(const char* name, std::int64_t tokens, double elements_read,
                               double elements_written) const {
  const auto t = static_cast<double>(tokens);
  // A few FP32 operations per element read (a norm's square, sum and scale; an add).
  return GpuKernel{name,
                   KernelClass::kElementwise,
                   4.0 * t * elements_read,
                   t * (elements_read + elements_written) * dtype_bytes(m_.activation_dtype),
                   DType::kFP32,
                   DType::kFP32,
                   0};
}

void OpCosts::ffn_kernels(std::int64_t tokens, double params, std::int64_t intermediate, bool gated,
                          DType weights, const char* gate_up, const char* act, const char* down,
                          std::vector<GpuKernel>& out) const {
  const auto h = static_cast<double>(m_.hidden), i = static_cast<double>(intermediate);
  const double up_cols = gated ? 2.0 * i : i, up_share = gated ? 2.0 / 3.0 : 0.5;
  out.push_back(gemm(gate_up, params * up_share, weights, tokens, h, up_cols));
  out.push_back(elementwise(act, tokens, up_cols, i));
  out.push_back(gemm(down, params * (1.0 - up_share), weights, tokens, i, h));
}

double OpCosts::o_proj_params(const LayerSpec& l) const {
  const double o = static_cast<double>(m_.num_heads * m_.head_dim * m_.hidden);
  return std::min(o, static_cast<double>(l.attention_params) / 2.0);
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

std::vector<GpuKernel> OpCosts::pre_attention_kernels(const LayerSpec& l,
                                                      std::int64_t tokens) const {
  std::vector<GpuKernel> k;
  if (tokens <= 0) return k;
  const auto h = static_cast<double>(m_.hidden);
  const auto qk = static_cast<double>((m_.num_heads + m_.num_kv_heads) * m_.head_dim);
  const double qkv_out = qk + static_cast<double>(m_.num_kv_heads * m_.head_dim);
  k.push_back(elementwise("input_rmsnorm", tokens, h, h));
  const double qkv = static_cast<double>(l.attention_params) - o_proj_params(l);
  if (qkv > 0) k.push_back(gemm("qkv_proj", qkv, m_.weight_dtype, tokens, h, qkv_out));
  // Linear-attention layers keep a state, not positions and a cache: no rotary, no cache write.
  if (l.attention != AttentionKind::kLinear) {
    k.push_back(elementwise("rotary", tokens, qk, qk));
    // The new keys and values (or latent) are read from the projection and stored in the cache.
    GpuKernel w = elementwise("kv_cache_write", tokens, 0, 0);
    w.bytes = 2.0 * static_cast<double>(tokens) * l.kv_bytes_per_token;
    w.flops = 0;
    k.push_back(w);
  }
  return k;
}

std::vector<GpuKernel> OpCosts::attention_kernels(const LayerSpec& l,
                                                  std::span<const std::int64_t> context,
                                                  std::span<const PrefillChunk> chunks,
                                                  bool on_pim) const {
  std::vector<GpuKernel> k;
  const DType act = m_.activation_dtype;
  // Linear attention's delta-rule state update is a read-modify-write of the whole state, not a
  // GEMV the PIM units compute, so those layers stay on the GPU whatever the policy.
  const bool decode_on_gpu = !context.empty() && !(on_pim && l.attention != AttentionKind::kLinear);
  if (decode_on_gpu) {
    // Score and context products: 2 FLOPs per (query, key or value element) of a cached token.
    double flops = 0;
    if (l.attention == AttentionKind::kLinear) {
      // Output (S^T q) and delta-rule update touch each fp32 state element twice: ~4 FLOPs.
      flops = 4.0 * l.state_bytes_per_sequence / 4.0 * static_cast<double>(context.size());
    } else {
      for (auto ctx : context) {
        const auto len =
            l.attention == AttentionKind::kSlidingWindow ? std::min(ctx, l.window_tokens) : ctx;
        flops += 2.0 * static_cast<double>(len * l.kv_heads * l.queries_per_kv *
                                           (l.key_dim + l.value_dim));
      }
    }
    k.push_back(GpuKernel{"decode_attention", KernelClass::kAttention, flops,
                          attention_kv_bytes(l, context), act, act, 0});
  }
  if (!chunks.empty()) {
    double flops = 0, bytes = 0;
    for (const auto& ch : chunks) prefill_kv(l, ch, flops, bytes);
    if (flops > 0 || bytes > 0)
      k.push_back(
          GpuKernel{"prefill_attention", KernelClass::kAttention, flops, bytes, act, act, 0});
  }
  return k;
}

std::vector<GpuKernel> OpCosts::post_attention_kernels(const LayerSpec& l,
                                                       std::int64_t tokens) const {
  std::vector<GpuKernel> k;
  if (tokens <= 0) return k;
  const auto h = static_cast<double>(m_.hidden);
  const double o = o_proj_params(l);
  if (o > 0)
    k.push_back(gemm("o_proj", o, m_.weight_dtype, tokens,
                     static_cast<double>(m_.num_heads * m_.head_dim), h));
  k.push_back(elementwise("attn_residual_add", tokens, 2.0 * h, h));
  k.push_back(elementwise("post_attention_rmsnorm", tokens, h, h));
  return k;
}

std::vector<GpuKernel> OpCosts::routing_kernels(const LayerSpec& l, std::int64_t tokens) const {
  std::vector<GpuKernel> k;
  if (tokens <= 0 || !l.moe) return k;
  const auto h = static_cast<double>(m_.hidden), t = static_cast<double>(tokens);
  const auto e = static_cast<double>(m_.routed_experts), top = static_cast<double>(m_.top_k);
  k.push_back(
      gemm("router_gemm", static_cast<double>(l.router_params), DType::kBF16, tokens, h, e));
  // Softmax and top-k over the FP32 logits; expert ids and gate weights out.
  k.push_back(GpuKernel{"router_topk", KernelClass::kReduction, 5.0 * t * e,
                        t * e * 4.0 + t * top * 8.0, DType::kFP32, DType::kFP32, 0});
  // The token gather into per-expert order for the dispatch.
  k.push_back(elementwise("permute", tokens, h, top * h));
  return k;
}

std::vector<GpuKernel> OpCosts::shared_expert_kernels(std::int64_t tokens) const {
  std::vector<GpuKernel> k;
  if (m_.shared_experts == 0 || m_.shared_expert.intermediate == 0 || tokens <= 0) return k;
  const std::int64_t n = m_.shared_experts;
  const std::int64_t padded = gpu_.padded_tokens(static_cast<std::int32_t>(tokens));
  grouped_gemm_kernels(n, n * tokens, n * padded, GemmShape::of(m_.shared_expert),
                       m_.activation_dtype, k);
  return k;
}

std::vector<GpuKernel> OpCosts::dense_ffn_kernels(const LayerSpec& l, std::int64_t tokens) const {
  std::vector<GpuKernel> k;
  if (tokens <= 0 || l.dense_ffn_params <= 0) return k;
  // A SwiGLU FFN: 3 x H x I parameters.
  const auto params = static_cast<double>(l.dense_ffn_params);
  const auto i = static_cast<std::int64_t>(params / (3.0 * static_cast<double>(m_.hidden)));
  ffn_kernels(tokens, params, i, true, m_.weight_dtype, "ffn_gate_up", "ffn_activation", "ffn_down",
              k);
  const auto h = static_cast<double>(m_.hidden);
  k.push_back(elementwise("ffn_residual_add", tokens, 2.0 * h, h));
  return k;
}

std::vector<GpuKernel> OpCosts::combine_kernels(std::int64_t tokens) const {
  std::vector<GpuKernel> k;
  if (tokens <= 0) return k;
  const auto h = static_cast<double>(m_.hidden), top = static_cast<double>(m_.top_k);
  // The k results and the shared experts' output, weighted and summed per token.
  k.push_back(elementwise("unpermute", tokens, (top + 1.0) * h, h));
  k.push_back(elementwise("moe_residual_add", tokens, 2.0 * h, h));
  return k;
}

std::vector<GpuKernel> OpCosts::iteration_kernels(std::int64_t emitting) const {
  std::vector<GpuKernel> k;
  if (emitting <= 0) return k;
  const auto h = static_cast<double>(m_.hidden), v = static_cast<double>(m_.vocab);
  const auto t = static_cast<double>(emitting);
  k.push_back(elementwise("final_rmsnorm", emitting, h, h));
  k.push_back(gemm("lm_head", v * h, DType::kBF16, emitting, h, v));
  // Softmax, top-k/top-p and the draw over the FP32 logits of every emitting token.
  k.push_back(GpuKernel{"sampling", KernelClass::kReduction, 5.0 * t * v, t * v * 4.0, DType::kFP32,
                        DType::kFP32, 0});
  return k;
}

sim_time_t OpCosts::sum_ps(std::span<const GpuKernel> kernels) const {
  sim_time_t t = 0;
  for (const auto& k : kernels) t += gpu_.kernel_ps(k);
  return t;
}

AttentionCost OpCosts::attention(const LayerSpec& l, std::span<const std::int64_t> context,
                                 std::span<const PrefillChunk> chunks, bool on_pim) const {
  AttentionCost c;
  std::int64_t tokens = static_cast<std::int64_t>(context.size());
  for (const auto& ch : chunks) tokens += ch.new_tokens;
  const auto pre = pre_attention_kernels(l, tokens);
  const auto kv = attention_kernels(l, context, chunks, on_pim);
  const auto post = post_attention_kernels(l, tokens);
  c.gpu_ps = sum_ps(pre) + sum_ps(kv);
  c.gpu_after_ps = sum_ps(post);
  c.energy = energy_of(pre);
  c.energy += energy_of(kv);
  c.energy += energy_of(post);
  if (context.empty() || !on_pim || l.attention == AttentionKind::kLinear) return c;
  // A node's layers of one attention shape see the same contexts in an iteration: the PIM's
  // command walk (most of a large cluster's time) runs once per (shape, contexts).
  std::vector<std::int64_t> key{l.kv_heads, l.queries_per_kv, l.key_dim, l.value_dim,
                                static_cast<std::int64_t>(m_.kv_dtype)};
  for (auto ctx : context)
    key.push_back(l.attention == AttentionKind::kSlidingWindow ? std::min(ctx, l.window_tokens)
                                                               : ctx);
  if (pim_attention_.size() > kAttentionMemo) pim_attention_.clear();
  auto [it, fresh] = pim_attention_.try_emplace(std::move(key));
  if (fresh) {
    std::vector<AttentionHead> heads;
    heads.reserve(context.size() * static_cast<std::size_t>(l.kv_heads));
    for (std::size_t i = 5; i < it->first.size(); ++i)
      for (std::int64_t h = 0; h < l.kv_heads; ++h)
        heads.push_back(
            AttentionHead{it->first[i], l.queries_per_kv, l.key_dim, l.value_dim, m_.kv_dtype});
    it->second = pim_.attention(heads);
  }
  const PimCost& pc = it->second;
  c.pim_ps = pc.time_ps;
  c.pim_busy_ps = pc.busy_ps;
  c.energy.pim_pj += pc.energy_pj;
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
  return sum_ps(attention_kernels(l, {}, std::span<const PrefillChunk>(&ch, 1), false));
}

sim_time_t OpCosts::router_ps(const LayerSpec& l, std::int64_t tokens) const {
  return sum_ps(routing_kernels(l, tokens));
}

sim_time_t OpCosts::shared_experts_ps(std::int64_t tokens) const {
  if (m_.shared_experts == 0 || m_.shared_expert.intermediate == 0 || tokens <= 0) return 0;
  // The GPU model's grouped GEMM: the same kernels as shared_expert_kernels lists.
  std::vector<std::int32_t> t(static_cast<std::size_t>(m_.shared_experts),
                              static_cast<std::int32_t>(tokens));
  return gpu_.grouped_gemm_ps(t, m_.shared_expert, m_.activation_dtype);
}

sim_time_t OpCosts::dense_ffn_ps(const LayerSpec& l, std::int64_t tokens) const {
  return sum_ps(dense_ffn_kernels(l, tokens));
}

sim_time_t OpCosts::combine_ps(std::int64_t tokens) const {
  return sum_ps(combine_kernels(tokens));
}

sim_time_t OpCosts::iteration_tail_ps(std::int64_t emitting) const {
  return sum_ps(iteration_kernels(emitting));
}

sim_time_t OpCosts::lm_head_ps(std::int64_t tokens) const {
  if (tokens <= 0) return 0;
  const auto h = static_cast<double>(m_.hidden), v = static_cast<double>(m_.vocab);
  return gpu_.kernel_ps(gemm("lm_head", v * h, DType::kBF16, tokens, h, v));
}

}  // namespace sievesim
