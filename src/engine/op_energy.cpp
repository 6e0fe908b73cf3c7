// The energy of each phase of a layer: the kernels OpCosts times, priced by the GPU's energy
// model (docs/energy.md). Attention's energy comes with its time (OpCosts::attention), since its
// PIM part is costed once for both.
#include <vector>

#include "engine/op_costs.hpp"

namespace sievesim {

EnergyUse OpCosts::energy_of(std::span<const GpuKernel> kernels) const {
  EnergyUse e;
  for (const auto& k : kernels) e += gpu_.kernel_energy(k);
  return e;
}

EnergyUse OpCosts::router_energy(const LayerSpec& l, std::int64_t tokens) const {
  return energy_of(routing_kernels(l, tokens));
}

EnergyUse OpCosts::shared_experts_energy(std::int64_t tokens) const {
  if (m_.shared_experts == 0 || m_.shared_expert.intermediate == 0 || tokens <= 0) return {};
  const std::vector<std::int32_t> t(static_cast<std::size_t>(m_.shared_experts),
                                    static_cast<std::int32_t>(tokens));
  return gpu_.grouped_gemm_energy(t, GemmShape::of(m_.shared_expert), m_.activation_dtype);
}

EnergyUse OpCosts::dense_ffn_energy(const LayerSpec& l, std::int64_t tokens) const {
  return energy_of(dense_ffn_kernels(l, tokens));
}

EnergyUse OpCosts::combine_energy(std::int64_t tokens) const {
  return energy_of(combine_kernels(tokens));
}

EnergyUse OpCosts::iteration_tail_energy(std::int64_t emitting) const {
  return energy_of(iteration_kernels(emitting));
}

}  // namespace sievesim
