#include "hw/pim/pim_model.hpp"

#include <algorithm>

#include "config/select.hpp"

namespace sievesim {

PimCost& PimCost::operator+=(const PimCost& o) {
  time_ps += o.time_ps;
  passes += o.passes;
  dram_bytes += o.dram_bytes;
  io_bytes += o.io_bytes;
  refresh_ps += o.refresh_ps;
  commands.activate += o.commands.activate;
  commands.precharge += o.commands.precharge;
  commands.mac += o.commands.mac;
  commands.write_input += o.commands.write_input;
  commands.read_output += o.commands.read_output;
  commands.softmax += o.commands.softmax;
  return *this;
}

sim_time_t PimModel::roofline_gemv_ps(std::int64_t rows, std::int64_t cols, std::int32_t tokens,
                                      DType weights) const {
  if (tokens <= 0) return 0;
  const double bytes = static_cast<double>(rows * cols) * dtype_bytes(weights);
  const double flops = 2.0 * static_cast<double>(rows * cols) * tokens;
  return seconds_to_ps(std::max(bytes / peak_bandwidth_Bps(), flops / peak_flops()));
}

sim_time_t PimModel::expert_ps(const ExpertShape& e, std::int32_t tokens,
                               std::int64_t channels) const {
  sim_time_t t = 0;
  for (const auto& m : e.matrices()) t += gemv_ps(m.rows, m.cols, tokens, e.weight_dtype, channels);
  return t;
}

sim_time_t PimModel::roofline_expert_ps(const ExpertShape& e, std::int32_t tokens) const {
  sim_time_t t = 0;
  for (const auto& m : e.matrices()) t += roofline_gemv_ps(m.rows, m.cols, tokens, e.weight_dtype);
  return t;
}

PimCost PimModel::attention(std::span<const AttentionHead> heads) const {
  PimCost total;
  sim_time_t longest = 0;
  PimCost c;
  const AttentionHead* prev = nullptr;
  for (const auto& h : heads) {
    // Decode batches repeat the same head shape many times: cost each distinct one once.
    if (!prev || h.context != prev->context || h.queries != prev->queries ||
        h.key_dim != prev->key_dim || h.value_dim != prev->value_dim || h.dtype != prev->dtype)
      c = attention_head(h);
    prev = &h;
    longest = std::max(longest, c.time_ps);
    total += c;
  }
  // Heads are independent and channels run in parallel: the work divides over the channels,
  // but no channel finishes before its longest head.
  const auto ch = static_cast<sim_time_t>(channels());
  total.time_ps = std::max(longest, (total.time_ps + ch - 1) / ch);
  total.refresh_ps = (total.refresh_ps + ch - 1) / ch;
  return total;
}

std::unique_ptr<PimModel> make_pim_model(const Params& p) {
  auto m = make_impl<PimRegistry>(p, "PIM model");
  const std::string c = p.param<std::string>("contention")
                            .one_of({"independent", "shared", "exclusive"})
                            .dflt("independent");
  m->set_contention(c == "shared"      ? Contention::kShared
                    : c == "exclusive" ? Contention::kExclusive
                                       : Contention::kIndependent);
  return m;
}

}  // namespace sievesim
