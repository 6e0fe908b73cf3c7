// Cost models against hand arithmetic and the bands of reference/calibration.md, and the
// two-port network timing of DESIGN §2.
#include <gtest/gtest.h>

#include <cmath>

#include "base/params.hpp"
#include "engine/ports.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/net/fabric_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "hw/preset.hpp"

namespace sievesim {
namespace {

Params preset(const std::string& family, const std::string& name, const std::string& extra = "") {
  static std::vector<std::unique_ptr<Params>> keep;
  const Params parent(YAML::Load("x: {preset: " + name + (extra.empty() ? "" : ", " + extra) + "}"),
                      "t.yaml");
  return resolve_preset(parent, "x", family, name);
}

ExpertShape qwen3_30b_expert() {
  ExpertShape e;
  e.hidden = 2048;
  e.intermediate = 768;
  e.gated = true;
  e.weight_dtype = DType::kBF16;
  return e;
}

// The roofline implementation, still selectable by name over the kernel-level presets (whose
// kernel-model keys it ignores; its own keys keep their defaults).
TEST(GpuRoofline, OneTokenExpertIsWeightReadBoundOnH100) {
  const auto gpu = make_gpu_model(preset("gpu", "h100", "impl: roofline"));
  const ExpertShape e = qwen3_30b_expert();
  std::vector<std::int32_t> one = {1};
  const double us = ps_to_us(gpu->grouped_gemm_ps(one, e, DType::kBF16));
  // calibration.md: about 3.4 us at peak bandwidth plus a launch cost; at 80% of peak, 4.2 us.
  EXPECT_GT(us, 3.4);
  EXPECT_LT(us, 6.0);
  // Exactly: 9,437,184 weight bytes + 2 x 2048 x 2 activation bytes at 0.8 x 3.35 TB/s, scaled
  // by the bytes-in-flight saturation (half at 0.5 MB), + 1 us launch.
  const double bytes = 9437184.0 + 8192.0;
  const double expect_us = bytes / (3350e9 * 0.8 * bytes / (bytes + 0.5e6)) * 1e6 + 1.0;
  EXPECT_NEAR(us, expect_us, 1e-3);
}

TEST(GpuRoofline, GroupedGemmStaysMemoryBoundToAboutThreeHundredTokensOnH100) {
  const auto gpu = make_gpu_model(preset("gpu", "h100", "impl: roofline"));
  const ExpertShape e = qwen3_30b_expert();
  auto t = [&](std::int32_t n) {
    std::vector<std::int32_t> v = {n};
    return static_cast<double>(gpu->grouped_gemm_ps(v, e, DType::kBF16));
  };
  // Up to about 295 tokens (the H100 ridge, calibration.md) the time is the memory time of
  // weights plus activations; well above it, compute dominates and time grows linearly.
  auto memory_bound = [&](std::int32_t n) {
    const double bytes = 9437184.0 + n * 2048.0 * 2 * 2;
    return bytes / (3350e9 * 0.8 * bytes / (bytes + 0.5e6)) * 1e12 + 1e6;
  };
  EXPECT_NEAR(t(295), memory_bound(295), 2.0);
  // At 800 tokens (13 tiles of 64, 832 rows computed) the 3 x 2048 x 768 weights' FLOPs at 80%
  // of 989 TFLOPS take 9.9 us, against 6.2 us to stream the weights and activations.
  auto compute_bound = [&](std::int32_t n) {
    const double padded = std::ceil(n / 64.0) * 64;
    return 2.0 * 3 * 2048 * 768 * padded / (989e12 * 0.8) * 1e12 + 1e6;
  };
  EXPECT_NEAR(t(800), compute_bound(800), 2.0);
  const double launch = 1e6;
  // Compute-bound and a whole number of 64-token tiles: twice the tokens, twice the time.
  EXPECT_NEAR((t(1280) - launch) / (t(640) - launch), 2.0, 0.02);
}

TEST(Fabric, AlphaBeta) {
  const auto nv = make_fabric_model(preset("fabric", "nvlink4"));
  EXPECT_EQ(nv->latency_ps(), 2 * kPsPerUs);
  // 1 MB at 450 GB/s x 0.8 = 2.7778 us.
  EXPECT_NEAR(ps_to_us(nv->transfer_ps(1e6)), 1e6 / 360e9 * 1e6, 1e-6);
  // InfiniBand NDR: 50 GB/s per GPU at 85%, 8.5x the NVLink time.
  const auto ib = make_fabric_model(preset("fabric", "ib-ndr"));
  EXPECT_NEAR(ps_to_us(ib->transfer_ps(1e6)), 1e6 / (50e9 * 0.85) * 1e6, 1e-6);
}

// A fabric with round numbers: 1 byte per ps... expressed as 1e3 GB/s, efficiency 1, 10 ns.
struct PortsFixture : ::testing::Test {
  PortsFixture()
      : up(make_fabric_model(
            preset("fabric", "nvlink4", "bandwidth_GBps: 1000, efficiency: 1, latency_us: 0.01"))),
        out(make_fabric_model(
            preset("fabric", "ib-ndr", "bandwidth_GBps: 100, efficiency: 1, latency_us: 1"))),
        topo(2, *up, *out, 1e12) {}
  std::unique_ptr<FabricModel> up, out;
  Topology topo;
};

TEST_F(PortsFixture, EgressSerializesMessagesOnEachFabric) {
  NodePorts p;
  // Node 0 of servers {0,1} {2,3}: node 1 is scale-up, nodes 2 and 3 scale-out.
  std::vector<OutMessage> m = {{1, 1000, 0}, {2, 1000, 0}, {3, 1000, 0}, {0, 1000, 0}};
  p.send(0, 4, m, topo);
  auto find = [&](int dst) {
    return *std::find_if(m.begin(), m.end(), [&](auto& x) { return x.dst == dst; });
  };
  EXPECT_EQ(find(0).eg_start_ps, 0);
  EXPECT_EQ(find(0).eg_end_ps, 1000);  // local copy at 1e12 B/s
  EXPECT_EQ(find(1).eg_start_ps, 0);
  EXPECT_EQ(find(1).eg_end_ps, 1000);  // 1000 B at 1e12 B/s on the scale-up port
  // Scale-out messages share one port, in ring order from the sender: 2 then 3.
  EXPECT_EQ(find(2).eg_start_ps, 0);
  EXPECT_EQ(find(2).eg_end_ps, 10000);
  EXPECT_EQ(find(3).eg_start_ps, 10000);
  EXPECT_EQ(find(3).eg_end_ps, 20000);
}

TEST_F(PortsFixture, IngressSerializesArrivalsAndAddsLatency) {
  NodePorts p;
  // Two scale-up senders whose messages leave at the same time contend for node 0's ingress.
  std::vector<InMessage> in = {{1, 1000, 0, 1000}};
  std::vector<InMessage> both = {{1, 1000, 0, 1000}, {1, 1000, 0, 1000}};
  p.receive(0, in, topo);
  EXPECT_EQ(in[0].arrival_ps, 1000 + 10000);  // last byte + 10 ns latency
  NodePorts q;
  q.receive(0, both, topo);
  EXPECT_EQ(both[0].arrival_ps, 11000);
  EXPECT_EQ(both[1].arrival_ps, 12000);  // waits for the port, then 1000 ps of bytes
}

}  // namespace
}  // namespace sievesim
