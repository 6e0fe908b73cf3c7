#include "hw/gpu/gpu_model.hpp"
#include "config/select.hpp"

namespace sievesim {

std::unique_ptr<GpuModel> make_gpu_model(const Params& p) {
  return make_impl<GpuRegistry>(p, "GPU model");
}

}  // namespace sievesim
