#include "hw/pim/pim_model.hpp"

#include <algorithm>

#include "base/select.hpp"

namespace sievesim {

PimCost& PimCost::operator+=(const PimCost& o) {
  time_ps += o.time_ps;
  busy_ps += o.busy_ps;
  passes += o.passes;
  dram_bytes += o.dram_bytes;
  io_bytes += o.io_bytes;
  refresh_ps += o.refresh_ps;
  energy_pj += o.energy_pj;
  commands.activate += o.commands.activate;
  commands.precharge += o.commands.precharge;
  commands.mac += o.commands.mac;
  commands.mac_vectors += o.commands.mac_vectors;
  commands.write_input += o.commands.write_input;
  commands.read_output += o.commands.read_output;
  commands.softmax += o.commands.softmax;
  return *this;
}

sim_time_t PimModel::roofline_gemv_ps(std::int64_t rows, std::int64_t cols, std::int32_t tokens,
                                      DType weights) const {
  if (tokens <= 0) return 0;
  const double bytes =
      (static_cast<double>(rows) * static_cast<double>(cols)) * dtype_bytes(weights);
  const double flops = 2.0 * (static_cast<double>(rows) * static_cast<double>(cols)) * tokens;
  return seconds_to_ps(std::max(bytes / peak_bandwidth_Bps(), flops / peak_flops()));
}

sim_time_t PimModel::refresh_end_ps(sim_time_t start_ps, sim_time_t busy_ps) const {
  sim_time_t end = start_ps + busy_ps;
  if (refi_ps_ <= 0 || rfc_ps_ <= 0 || busy_ps <= 0) return end;
  // The first refresh at or after the start (k >= 1); one due exactly at the start goes first,
  // as AttAcc's controller serves its priority (refresh) buffer before the PIM buffer.
  sim_time_t k = std::max<sim_time_t>(1, (start_ps + refi_ps_ - 1) / refi_ps_);
  for (; k * refi_ps_ < end; ++k) end += rfc_ps_;
  return end;
}

PimCost PimModel::finish(PimCost c, sim_time_t start_ps) const {
  c.time_ps = refresh_end_ps(start_ps, c.busy_ps) - start_ps;
  c.refresh_ps = c.time_ps - c.busy_ps;
  return c;
}

PimCost PimModel::gemv(std::int64_t rows, std::int64_t cols, std::int32_t tokens, DType weights,
                       std::int64_t channels, sim_time_t start_ps) const {
  PimCost c = gemv_work(rows, cols, tokens, weights, channels);
  // Every channel the GEMV spans runs the same command sequence.
  c.energy_pj = energy().commands_pj(c.commands) * static_cast<double>(channels_used(channels));
  return finish(c, start_ps);
}

PimCost PimModel::attention_head(const AttentionHead& h) const {
  return finish(attention_work(h, 1), 0);
}

bool PimModel::same_shape(const ExpertShape& e) const {
  const ShapeKey k{e.hidden, e.intermediate, e.gated, e.bias, e.weight_dtype};
  if (k == memo_shape_) return true;
  memo_shape_ = k;
  expert_memo_.clear();
  roofline_memo_.clear();
  return false;
}

PimCost PimModel::expert(const ExpertShape& e, std::int32_t tokens, std::int64_t channels,
                         sim_time_t start_ps) const {
  same_shape(e);
  const auto key = static_cast<std::uint64_t>(static_cast<std::uint32_t>(tokens)) << 32 |
                   static_cast<std::uint32_t>(channels);
  auto [it, fresh] = expert_memo_.try_emplace(key);
  if (fresh) {
    // The matrices run back to back: refresh falls on the whole span, not on each alone.
    PimCost& c = it->second;
    for (const auto& m : e.matrices()) c += gemv(m.rows, m.cols, tokens, e.weight_dtype, channels);
    c.time_ps = c.busy_ps;
    c.refresh_ps = 0;
  }
  return finish(it->second, start_ps);
}

sim_time_t PimModel::expert_ps(const ExpertShape& e, std::int32_t tokens, std::int64_t channels,
                               sim_time_t start_ps) const {
  return expert(e, tokens, channels, start_ps).time_ps;
}

sim_time_t PimModel::roofline_expert_ps(const ExpertShape& e, std::int32_t tokens) const {
  same_shape(e);
  auto [it, fresh] = roofline_memo_.try_emplace(tokens, 0);
  if (fresh)
    for (const auto& m : e.matrices())
      it->second += roofline_gemv_ps(m.rows, m.cols, tokens, e.weight_dtype);
  return it->second;
}

PimCost PimModel::attention(std::span<const AttentionHead> heads, sim_time_t start_ps) const {
  PimCost total;
  if (heads.empty()) return total;
  const auto ch = static_cast<sim_time_t>(channels());
  // Fewer heads than channels: the KV cache is spread over the channels, as the Sieve paper's
  // baselines do (each channel runs the score and context GEMVs over its slice of the tokens).
  const std::int64_t split =
      std::max<std::int64_t>(1, ch / static_cast<std::int64_t>(heads.size()));
  // A channel runs its slices back to back in pairs (AttAcc's order), the next one's input
  // written while the current one computes: k slices cost about `lead + k * step`, with `step`
  // the steady-state cost of one more slice, (T(4) - T(2)) / 2, and never less than one alone.
  sim_time_t longest = 0, fill = 0, marginal = 0, merge = 0, lead = 0;
  PimCost one, unit;
  sim_time_t step = 0, merge_h = 0;
  std::int64_t parts = 1;
  const AttentionHead* prev = nullptr;
  for (const auto& h : heads) {
    if (h.context <= 0 || h.queries <= 0) continue;
    // Decode batches repeat the same head shape many times: cost each distinct one once.
    if (!prev || h.context != prev->context || h.queries != prev->queries ||
        h.key_dim != prev->key_dim || h.value_dim != prev->value_dim || h.dtype != prev->dtype) {
      // Splitting finer shortens the slices but lengthens the merge: take the best power-of-two
      // split up to the channels each head may have.
      parts = 0;
      for (std::int64_t p = 1;; p = std::min(2 * p, std::min(split, h.context))) {
        AttentionHead slice = h;
        slice.context = (h.context + p - 1) / p;
        const PimCost o = attention_work(slice, 1);
        const sim_time_t m = p > 1 ? merge_ps(h, p) : 0;
        if (parts == 0 || o.busy_ps + m < one.busy_ps + merge_h) {
          parts = p;
          one = o;
          merge_h = m;
          const sim_time_t t2 = attention_work(slice, 2).busy_ps;
          step = (attention_work(slice, 4).busy_ps - t2) / 2;
          lead = t2 - 2 * step;
        }
        if (p >= std::min(split, h.context)) break;
      }
    }
    prev = &h;
    longest = std::max(longest, one.busy_ps + merge_h);
    fill = std::max(fill, lead);
    merge = std::max(merge, merge_h);
    marginal += step * parts;
    unit = one;
    unit.time_ps = unit.busy_ps = unit.refresh_ps = 0;
    for (std::int64_t i = 0; i < parts; ++i) total += unit;
  }
  // Channels run in parallel: the slices divide over them, but no channel finishes before its
  // longest slice (plus the merge of split heads).
  total.busy_ps = std::max(longest, fill + (marginal + ch - 1) / ch + merge);
  // The commands are summed over every slice, whichever channel ran it. (The merge's writes,
  // combine and read-back of split heads are timed, not counted as commands: not priced.)
  total.energy_pj = energy().commands_pj(total.commands);
  return finish(total, start_ps);
}

std::unique_ptr<PimModel> make_pim_model(const Params& p) {
  auto m = make_impl<PimRegistry>(p, "PIM model");
  const std::string c =
      p.param<std::string>("contention")
          .one_of({"independent", "shared", "exclusive"})
          .desc(
              "how GPU and PIM share the DRAM: both at once (dual row buffers), PIM stalls "
              "while the GPU streams, or never both at once")
          .dflt("independent");
  m->set_contention(c == "shared"      ? Contention::kShared
                    : c == "exclusive" ? Contention::kExclusive
                                       : Contention::kIndependent);
  return m;
}

}  // namespace sievesim
