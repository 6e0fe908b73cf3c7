#pragma once
// PIM cost model interface: the time of GEMVs run inside the HBM stacks of one node.
#include <cstdint>
#include <memory>

#include "common/registry.hpp"
#include "common/time.hpp"
#include "config/params.hpp"
#include "model/model.hpp"

namespace sievesim {

class PimModel {
 public:
  virtual ~PimModel() = default;
  // `tokens` input vectors times one [rows x cols] weight matrix striped over every PIM unit of
  // the node.
  virtual sim_time_t gemv_ps(std::int64_t rows, std::int64_t cols, std::int32_t tokens,
                             DType weights) const = 0;
  // Decode attention of a batch: score and context GEMVs reading `kv_bytes` of KV cache in total,
  // for `sequences` sequences.
  virtual sim_time_t attention_ps(double kv_bytes, std::int64_t sequences) const = 0;
  // The plain bandwidth estimate a scheduler can use before it has measured anything.
  virtual sim_time_t roofline_gemv_ps(std::int64_t rows, std::int64_t cols, std::int32_t tokens,
                                      DType weights) const = 0;

  // One expert: its matrices one after the other (every expert is striped over all units).
  sim_time_t expert_ps(const ExpertShape& e, std::int32_t tokens) const;
  sim_time_t roofline_expert_ps(const ExpertShape& e, std::int32_t tokens) const;
};

using PimRegistry = Registry<PimModel, const Params&>;

std::unique_ptr<PimModel> make_pim_model(const Params& p);

}  // namespace sievesim
