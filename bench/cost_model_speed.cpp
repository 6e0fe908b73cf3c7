// How many cost-model questions per second the models answer: they sit in the innermost loop of
// every simulated layer (one PIM expert cost per active expert, one grouped GEMM per split the
// scheduler tries). Target: at least 1,000,000 queries per second per model.
//   build/bench/sievesim_bench_costs [seconds-per-model]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "base/params.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "hw/preset.hpp"

using namespace sievesim;

namespace {

template <class Make>
auto preset(const char* family, const char* name, Make make) {
  const Params parent(YAML::Load(std::string("x: {preset: ") + name + "}"), "bench");
  return make(resolve_preset(parent, "x", family, name));
}

// Runs `query(i)` for about `seconds` and returns queries per second. The sum of the answers is
// printed so the compiler cannot drop the work.
double measure(const char* what, double seconds,
               const std::function<sim_time_t(std::int64_t)>& query) {
  using clock = std::chrono::steady_clock;
  std::int64_t n = 0;
  sim_time_t sink = 0;
  const auto t0 = clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 4096; ++i, ++n) sink += query(n);
    elapsed = std::chrono::duration<double>(clock::now() - t0).count();
  }
  const double qps = static_cast<double>(n) / elapsed;
  std::printf("%-58s %12.0f queries/s  %s  (checksum %lld)\n", what, qps,
              qps >= 1e6 ? "ok  " : "SLOW", static_cast<long long>(sink % 1000003));
  return qps;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  ExpertShape qwen;  // Qwen3-30B-A3B expert
  qwen.hidden = 2048;
  qwen.intermediate = 768;
  ExpertShape big;  // Qwen3.5-397B-A17B expert
  big.hidden = 4096;
  big.intermediate = 1024;
  auto make_pim = [](const Params& p) { return make_pim_model(p); };
  auto make_gpu = [](const Params& p) { return make_gpu_model(p); };
  const auto bank = preset("pim", "hbm3e-bank-pim", make_pim);
  const auto bankgroup = preset("pim", "hbm3e-bankgroup-pim", make_pim);
  const auto logic = preset("pim", "hbm3e-logic-pim", make_pim);
  const auto gpu = preset("gpu", "b200", make_gpu);

  bool all_fast = true;
  auto tokens = [](std::int64_t i) { return static_cast<std::int32_t>(1 + i % 16); };
  all_fast &= measure("PIM bank: expert_ps (Qwen3-30B expert, 1-16 tokens)", seconds,
                      [&](std::int64_t i) { return bank->expert_ps(qwen, tokens(i)); }) >= 1e6;
  all_fast &= measure("PIM bank: expert_ps (Qwen3.5-397B expert, 1-16 tokens)", seconds,
                      [&](std::int64_t i) { return bank->expert_ps(big, tokens(i)); }) >= 1e6;
  all_fast &= measure("PIM bank-group: expert_ps (Qwen3-30B expert)", seconds,
                      [&](std::int64_t i) { return bankgroup->expert_ps(qwen, tokens(i)); }) >= 1e6;
  all_fast &= measure("PIM logic-die: expert_ps (Qwen3-30B expert)", seconds,
                      [&](std::int64_t i) { return logic->expert_ps(qwen, tokens(i)); }) >= 1e6;
  all_fast &=
      measure("PIM bank: attention_head (L 1k-5k, GQA 8)", seconds, [&](std::int64_t i) {
        return bank->attention_head(AttentionHead{1024 + i % 4096, 8, 128, 128, DType::kBF16})
            .time_ps;
      }) >= 1e6;
  std::vector<std::int32_t> set(8);
  all_fast &= measure("GPU: grouped_gemm over 8 experts", seconds, [&](std::int64_t i) {
                for (std::size_t e = 0; e < set.size(); ++e)
                  set[e] = static_cast<std::int32_t>(1 + (i + static_cast<std::int64_t>(e)) % 64);
                return gpu->grouped_gemm_ps(set, qwen, DType::kBF16);
              }) >= 1e6;
  std::printf("%s\n", all_fast ? "all cost models answer at least 1,000,000 queries per second"
                               : "some cost model is below 1,000,000 queries per second");
  return 0;
}
