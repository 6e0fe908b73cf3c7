#pragma once
// A bare MoE model for tests that need only expert counts: `layers` MoE layers of `experts`
// routed experts, top-k.
#include <cstdint>

#include "model/model.hpp"

namespace sievesim::test {

inline ModelSpec toy_model(std::int64_t experts, std::int64_t k, std::int64_t layers) {
  ModelSpec m;
  m.routed_experts = experts;
  m.top_k = k;
  m.num_layers = layers;
  m.layers.resize(static_cast<std::size_t>(layers));
  return m;
}

}  // namespace sievesim::test
