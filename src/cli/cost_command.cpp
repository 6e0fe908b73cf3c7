// `sievesim cost`: one question to one cost model, answered in JSON, so that users and tests can
// check the hardware models alone (DESIGN §5).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/error.hpp"
#include "base/params.hpp"
#include "cli/commands.hpp"
#include "engine/ports.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/net/fabric_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "hw/preset.hpp"

namespace sievesim::cli {
namespace {

using json = nlohmann::json;

std::string fmt_g(double v, int digits = 4) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

DType parse_dtype(const std::string& s) {
  if (s == "fp16") return DType::kFP16;
  if (s == "bf16") return DType::kBF16;
  if (s == "fp8") return DType::kFP8;
  if (s == "mxfp4") return DType::kMXFP4;
  if (s == "fp32") return DType::kFP32;
  throw InputError("", "--dtype", "expected fp16, bf16, fp8, mxfp4 or fp32, got '" + s + "'");
}

// The preset `name` of `family` with `key=value` overrides of its parameters, checked.
template <class Make>
auto build(const std::string& family, const std::string& name,
           const std::vector<std::string>& params, Make make) {
  YAML::Node root;
  root[family]["preset"] = name;
  std::vector<std::string> ov;
  for (const auto& p : params) ov.push_back(family + "." + p);
  auto paths = std::make_shared<const std::set<std::string>>(apply_overrides(root, ov, "-p"));
  const Params top(root, "sievesim cost", "", paths);
  auto model = make(resolve_preset(top, family, family, name));
  top.reject_unknown_keys();
  return model;
}

// Sizes are bounded where they enter: beyond a node's memory (or these counts) the bytes, DRAM
// commands and picoseconds the models compute would leave 64 bits.
constexpr std::int64_t kMaxCount = 65536;        // heads, experts, input vectors, ...
constexpr std::int64_t kMaxTokens = 2147483647;  // the models count tokens in 32 bits
constexpr double kMaxTransferBytes = 1e15;       // a PB: hours on the slowest link
void at_most(const char* option, double value, double max, const std::string& unit) {
  if (!(value <= max))
    throw InputError(
        "", option,
        "expected at most " + fmt_g(max, 10) + " " + unit + ", got " + fmt_g(value, 10));
}
void fits(const char* options, double bytes, double capacity_bytes, const std::string& where) {
  if (!(bytes <= capacity_bytes))
    throw InputError("", options,
                     fmt_g(bytes / 1e9) + " GB do not fit in the " + fmt_g(capacity_bytes / 1e9) +
                         " GB of " + where);
}

json time_json(sim_time_t ps) {
  return {{"time_ps", ps}, {"time_ns", static_cast<double>(ps) / 1e3}};
}

struct PimOpts {
  std::string preset = kDefaultPimPreset, kernel = "gemv", dtype = "fp16", power_limit;
  std::int64_t rows = 0, cols = 0, tokens = 1, seq_len = 0, heads = 1, head_dim = 128, stacks = 0;
  double start_ns = 0;
  std::vector<std::string> params;
};

int run_pim(const PimOpts& o) {
  std::vector<std::string> params = o.params;
  if (!o.power_limit.empty())
    params.push_back("power_limit=" + std::string(o.power_limit == "on" ? "true" : "false"));
  // Attention heads are those of one stack (one head per channel at a time).
  if (o.kernel == "attention" && o.stacks <= 0)
    params.push_back("stacks=1");
  else if (o.stacks > 0)
    params.push_back("stacks=" + std::to_string(o.stacks));
  const auto m = build("pim", o.preset, params, [](const Params& p) { return make_pim_model(p); });
  const DType dt = parse_dtype(o.dtype);
  at_most("--start-ns", o.start_ns, 1e12, "ns");
  const sim_time_t start = ns_to_ps(o.start_ns);
  json out = {{"model", "pim"},
              {"preset", o.preset},
              {"kernel", o.kernel},
              {"describe", m->describe()},
              {"channels", m->channels()}};
  PimCost c;
  double bytes = 0;
  if (o.kernel == "gemv") {
    if (o.rows <= 0 || o.cols <= 0)
      throw InputError("", "--rows/--cols", "expected positive sizes");
    at_most("--tokens", static_cast<double>(o.tokens), kMaxCount, "input vectors");
    bytes = static_cast<double>(o.rows) * static_cast<double>(o.cols) * dtype_bytes(dt);
    fits("--rows/--cols", bytes, m->capacity_bytes(), "PIM memory (--stacks)");
    c = m->gemv(o.rows, o.cols, static_cast<std::int32_t>(o.tokens), dt, 0, start);
    const sim_time_t roof =
        m->roofline_gemv_ps(o.rows, o.cols, static_cast<std::int32_t>(o.tokens), dt);
    out["roofline"] = time_json(roof);
    out["ratio_to_roofline"] = static_cast<double>(c.time_ps) / static_cast<double>(roof);
    out["shape"] = {{"rows", o.rows}, {"cols", o.cols}, {"tokens", o.tokens}, {"dtype", o.dtype}};
  } else {
    if (o.seq_len <= 0) throw InputError("", "--seq-len", "expected a positive length");
    at_most("--heads", static_cast<double>(o.heads), kMaxCount, "heads");
    bytes = 2.0 * static_cast<double>(o.heads) * static_cast<double>(o.seq_len) *
            static_cast<double>(o.head_dim) * dtype_bytes(dt);
    fits("--heads/--seq-len/--head-dim", bytes, m->capacity_bytes(), "PIM memory (--stacks)");
    std::vector<AttentionHead> heads(static_cast<std::size_t>(o.heads),
                                     AttentionHead{o.seq_len, 1, o.head_dim, o.head_dim, dt});
    c = m->attention(heads, start);
    out["shape"] = {
        {"seq_len", o.seq_len}, {"heads", o.heads}, {"head_dim", o.head_dim}, {"dtype", o.dtype}};
  }
  out.update(time_json(c.time_ps));
  out["bytes"] = bytes;
  out["achieved_bandwidth_GBps"] = bytes / ps_to_s(c.time_ps) / 1e9;
  out["passes"] = c.passes;
  out["busy_ns"] = static_cast<double>(c.busy_ps) / 1e3;
  out["refresh_ns"] = static_cast<double>(c.refresh_ps) / 1e3;
  out["start_ns"] = o.start_ns;
  out["io_bytes"] = c.io_bytes;
  out["commands_per_channel"] = {{"activate", c.commands.activate},
                                 {"precharge", c.commands.precharge},
                                 {"mac", c.commands.mac},
                                 {"mac_vectors", c.commands.mac_vectors},
                                 {"write_input", c.commands.write_input},
                                 {"read_output", c.commands.read_output},
                                 {"softmax", c.commands.softmax}};
  if (o.kernel == "attention") out["commands_per_channel"]["note"] = "summed over all heads";
  // The commands' energy (docs/energy.md): the sum of their prices over every channel.
  const PimCommandEnergy& e = m->energy().per_command();
  out["energy_pj"] = c.energy_pj;
  out["energy_pj_per_command"] = {
      {"activate", e.activate_pj},       {"mac", e.mac_pj},
      {"mac_vector", e.mac_vector_pj},   {"write_input", e.write_input_pj},
      {"read_output", e.read_output_pj}, {"refresh", e.refresh_pj}};
  out["mean_power_W"] = c.time_ps > 0 ? c.energy_pj / static_cast<double>(c.time_ps) : 0.0;
  std::cout << out.dump(2) << std::endl;
  return kExitOk;
}

struct GpuOpts {
  std::string preset = kDefaultGpuPreset, dtype = "bf16", act_dtype = "bf16",
              kernel = "grouped-gemm", graphs;
  std::int64_t experts = 1, rows = 0, cols = 0;
  std::vector<std::int64_t> tokens = {1};
  // attention: a batch of sequences of seq_len cached tokens
  std::int64_t batch = 1, seq_len = 0, kv_heads = 8, queries_per_kv = 1, head_dim = 128,
               value_dim = -1;
  bool shared_kv = false;
  double bytes = 0;  // elementwise: bytes read and written
  std::vector<std::string> params;
};

json gpu_timing(json out, sim_time_t ps, double bytes, double flops) {
  out.update(time_json(ps));
  out["bytes"] = bytes;
  out["flops"] = flops;
  out["achieved_bandwidth_GBps"] = ps > 0 ? bytes / ps_to_s(ps) / 1e9 : 0.0;
  out["achieved_tflops"] = ps > 0 ? flops / ps_to_s(ps) / 1e12 : 0.0;
  return out;
}

int run_gpu(const GpuOpts& o) {
  std::vector<std::string> params = o.params;
  if (!o.graphs.empty())
    params.push_back("cuda_graphs=" + std::string(o.graphs == "on" ? "true" : "false"));
  const auto m = build("gpu", o.preset, params, [](const Params& p) { return make_gpu_model(p); });
  const DType act = parse_dtype(o.act_dtype);
  json out = {{"model", "gpu"},
              {"preset", o.preset},
              {"kernel", o.kernel},
              {"fixed_us", ps_to_us(m->launch_ps())}};
  if (o.kernel == "attention") {
    if (o.seq_len <= 0) throw InputError("", "--seq-len", "expected a positive length");
    at_most("--queries-per-kv", static_cast<double>(o.queries_per_kv), kMaxCount, "query heads");
    if (o.value_dim == 0 || o.value_dim < -1)
      throw InputError("", "--value-dim", "expected a positive dimension");
    at_most("--value-dim", static_cast<double>(o.value_dim), kMaxCount, "elements");
    const double kv = parse_dtype(o.dtype) == DType::kFP8 ? 1.0 : 2.0;
    const double vd = static_cast<double>(o.value_dim < 0 ? o.head_dim : o.value_dim);
    const double tokens = static_cast<double>(o.batch) * static_cast<double>(o.seq_len) *
                          static_cast<double>(o.kv_heads);
    const double flops = 2.0 * tokens * static_cast<double>(o.queries_per_kv) *
                         (static_cast<double>(o.head_dim) + vd);
    // MLA's latent is read once and serves as keys and (its first value_dim elements) values.
    const double per_token = static_cast<double>(o.head_dim) + (o.shared_kv ? 0.0 : vd);
    const GpuKernel k{
        "decode_attention", KernelClass::kAttention, flops, tokens * per_token * kv, act, act, 0};
    fits("--batch/--seq-len/--kv-heads/--head-dim", k.bytes, m->hbm_capacity_bytes(), "GPU memory");
    out["shape"] = {{"batch", o.batch},       {"seq_len", o.seq_len},
                    {"kv_heads", o.kv_heads}, {"queries_per_kv", o.queries_per_kv},
                    {"head_dim", o.head_dim}, {"value_dim", vd},
                    {"kv_dtype", o.dtype}};
    std::cout << gpu_timing(out, m->kernel_ps(k), k.bytes, k.flops).dump(2) << std::endl;
    return kExitOk;
  }
  if (o.kernel == "elementwise") {
    if (!(o.bytes >= 0)) throw InputError("", "--bytes", "expected a non-negative size");
    at_most("--bytes", o.bytes, kMaxTransferBytes, "bytes");
    const GpuKernel k{
        "elementwise", KernelClass::kElementwise, 0, o.bytes, DType::kFP32, DType::kFP32, 0};
    out["shape"] = {{"bytes", o.bytes}};
    std::cout << gpu_timing(out, m->kernel_ps(k), k.bytes, 0).dump(2) << std::endl;
    return kExitOk;
  }
  if (o.rows <= 0 || o.cols <= 0) throw InputError("", "--rows/--cols", "expected positive sizes");
  if (o.tokens.size() != 1 && static_cast<std::int64_t>(o.tokens.size()) != o.experts)
    throw InputError("", "--tokens-per-expert",
                     "expected one count or one per expert (" + std::to_string(o.experts) + ")");
  at_most("--experts", static_cast<double>(o.experts), kMaxCount, "experts");
  std::vector<std::int32_t> t(static_cast<std::size_t>(o.experts));
  for (std::size_t i = 0; i < t.size(); ++i) {
    const std::int64_t n = o.tokens.size() == 1 ? o.tokens[0] : o.tokens[i];
    if (n < 0) throw InputError("", "--tokens-per-expert", "expected counts >= 0");
    at_most("--tokens-per-expert", static_cast<double>(n), kMaxTokens, "tokens");
    t[i] = static_cast<std::int32_t>(n);
  }
  const DType dt = parse_dtype(o.dtype);
  fits("--experts/--rows/--cols",
       static_cast<double>(o.experts) * GemmShape::matrix(o.rows, o.cols, dt).weight_bytes,
       m->hbm_capacity_bytes(), "GPU memory");
  const GemmCost c = m->grouped_gemm(t, GemmShape::matrix(o.rows, o.cols, dt), act);
  out["kernel"] = "grouped_gemm";
  out["shape"] = {{"experts", o.experts},   {"rows", o.rows},          {"cols", o.cols},
                  {"tokens_per_expert", t}, {"weight_dtype", o.dtype}, {"act_dtype", o.act_dtype}};
  out = gpu_timing(out, c.time_ps, c.bytes, c.flops);
  out["bound"] = c.compute_bound ? "compute" : "memory";
  std::cout << out.dump(2) << std::endl;
  return kExitOk;
}

struct NetOpts {
  std::string preset = kDefaultScaleUpPreset, scale_out = kDefaultScaleOutPreset,
              mode = "per-destination", phase = "dispatch";
  std::int64_t gpus_per_server = 8, nodes = 8, tokens = 64, hidden = 4096, topk = 8, act_bytes = 2;
  std::vector<std::string> params;
};

// One dispatch all-to-all with uniform routing: every node sends the same expected bytes to
// every other node, so the time is the same for all; ports as in the simulator.
int run_net(const NetOpts& o) {
  if (o.nodes < 1 || o.tokens < 0 || o.hidden < 1 || o.topk < 1)
    throw InputError("", "--nodes/--tokens-per-node/--hidden/--topk", "expected positive values");
  // Every node sends to every other: the time and memory grow with the square of --nodes.
  at_most("--nodes", static_cast<double>(o.nodes), 16384, "nodes");
  at_most("--topk", static_cast<double>(o.topk), kMaxCount, "experts per token");
  const auto up =
      build("fabric", o.preset, o.params, [](const Params& p) { return make_fabric_model(p); });
  const auto out_f =
      build("fabric", o.scale_out, {}, [](const Params& p) { return make_fabric_model(p); });
  const Topology topo(o.gpus_per_server, *up, *out_f, 1e18);
  const double n = static_cast<double>(o.nodes);
  // A token reaches a given node if any of its k experts lives there (experts spread evenly):
  // once per destination, or once per expert in the low-latency mode.
  const double per_dest_tokens =
      o.mode == "per-expert" ? static_cast<double>(o.tokens) * static_cast<double>(o.topk) / n
                             : static_cast<double>(o.tokens) *
                                   (1.0 - std::pow(1.0 - 1.0 / n, static_cast<double>(o.topk)));
  const double msg_bytes =
      per_dest_tokens * static_cast<double>(o.hidden) * static_cast<double>(o.act_bytes);
  at_most("--tokens-per-node/--hidden/--topk/--act-bytes", msg_bytes * (n - 1), kMaxTransferBytes,
          "bytes sent per node");
  // Every node's egress, then node 0's ingress.
  std::vector<InMessage> in;
  for (std::int64_t src = 0; src < o.nodes; ++src) {
    NodePorts ports;
    std::vector<OutMessage> msgs;
    for (std::int64_t dst = 0; dst < o.nodes; ++dst)
      if (dst != src) msgs.push_back(OutMessage{static_cast<std::int32_t>(dst), msg_bytes, 0});
    ports.send(
        static_cast<std::int32_t>(src), o.nodes, msgs, topo,
        topo.call_ps(o.nodes, o.phase == "combine" ? CallKind::kCombine : CallKind::kDispatch));
    for (const auto& m : msgs)
      if (m.dst == 0)
        in.push_back(
            InMessage{static_cast<std::int32_t>(src), m.bytes, m.eg_start_ps, m.eg_end_ps});
  }
  NodePorts receiver;
  receiver.receive(0, in, topo);
  sim_time_t done = 0;
  for (const auto& m : in) done = std::max(done, m.arrival_ps);
  const double bytes_out = msg_bytes * (n - 1);
  json out = {{"model", "net"},
              {"scale_up", o.preset},
              {"scale_out", o.scale_out},
              {"mode", o.mode},
              {"phase", o.phase},
              {"shape",
               {{"nodes", o.nodes},
                {"gpus_per_server", o.gpus_per_server},
                {"tokens_per_node", o.tokens},
                {"hidden", o.hidden},
                {"topk", o.topk},
                {"act_bytes", o.act_bytes}}}};
  out.update(time_json(done));
  out["call_ns"] = static_cast<double>(topo.call_ps(
                       o.nodes, o.phase == "combine" ? CallKind::kCombine : CallKind::kDispatch)) /
                   1e3;
  out["bytes_per_node"] = bytes_out;
  out["message_bytes"] = msg_bytes;
  out["achieved_bandwidth_GBps"] = done > 0 ? bytes_out / ps_to_s(done) / 1e9 : 0.0;
  out["note"] = "one call: the fixed call cost, then every node's messages through the ports";
  std::cout << out.dump(2) << std::endl;
  return kExitOk;
}

}  // namespace

Runner add_cost_command(CLI::App& app) {
  auto* cost = app.add_subcommand(
      "cost",
      "Ask one cost model one question and get JSON: time (ps and ns), bytes moved, achieved "
      "bandwidth and, for PIM, the DRAM command counts. Presets are the ones experiments use; "
      "-p key=value overrides any of the preset's parameters.");
  cost->require_subcommand(1);

  auto po = std::make_shared<PimOpts>();
  auto* pim = cost->add_subcommand("pim", "A GEMV or an attention kernel on the PIM of one node");
  pim->add_option("--preset", po->preset, "PIM preset")->capture_default_str();
  pim->add_option("--kernel", po->kernel, "gemv or attention")
      ->check(CLI::IsMember({"gemv", "attention"}))
      ->capture_default_str();
  pim->add_option("--rows", po->rows, "gemv: input length (weight rows)");
  pim->add_option("--cols", po->cols, "gemv: output length (weight columns)");
  pim->add_option("--tokens", po->tokens, "gemv: input vectors")
      ->check(positive_integer())
      ->capture_default_str();
  pim->add_option("--seq-len", po->seq_len, "attention: tokens of KV cache per head");
  pim->add_option("--heads", po->heads, "attention: KV heads on the node (--stacks, default 1)")
      ->check(positive_integer())
      ->capture_default_str();
  pim->add_option("--head-dim", po->head_dim, "attention: head dimension")
      ->check(positive_integer())
      ->capture_default_str();
  pim->add_option("--dtype", po->dtype, "fp16, bf16, fp8, mxfp4, fp32")->capture_default_str();
  pim->add_option("--power-limit", po->power_limit, "on or off (default: the preset's)")
      ->check(CLI::IsMember({"on", "off"}));
  pim->add_option("--start-ns", po->start_ns,
                  "absolute start time: refresh stops the PIM for tRFC at every k x tREFI")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  pim->add_option("--stacks", po->stacks, "stacks (default: the preset's; attention: 1)")
      ->check(positive_integer());
  add_param_option(*pim, po->params,
                   "Override one parameter of the PIM preset, as key=value (value parsed as "
                   "YAML), e.g. -p tRFC_ns=280 -p power_limit=false; `sievesim params "
                   "hbm3e-bank-pim` lists them. Repeatable; an unknown key is an error.");

  auto go = std::make_shared<GpuOpts>();
  auto* gpu = cost->add_subcommand(
      "gpu",
      "One GPU kernel: a grouped GEMM over experts of one [rows x cols] matrix each (default), a "
      "decode attention kernel, or an elementwise kernel moving --bytes");
  gpu->add_option("--preset", go->preset, "GPU preset")->capture_default_str();
  gpu->add_option("--kernel", go->kernel, "grouped-gemm, attention or elementwise")
      ->check(CLI::IsMember({"grouped-gemm", "attention", "elementwise"}))
      ->capture_default_str();
  gpu->add_option("--graphs", go->graphs, "on or off: CUDA graphs (default: the preset's)")
      ->check(CLI::IsMember({"on", "off"}));
  gpu->add_option("--experts", go->experts, "grouped-gemm: experts in the group")
      ->check(positive_integer())
      ->capture_default_str();
  gpu->add_option("--tokens-per-expert", go->tokens,
                  "grouped-gemm: one count for all experts, or one per expert")
      ->delimiter(',')
      ->capture_default_str();
  gpu->add_option("--rows", go->rows, "grouped-gemm: weight rows (input length)");
  gpu->add_option("--cols", go->cols, "grouped-gemm: weight columns (output length)");
  gpu->add_option("--dtype", go->dtype,
                  "grouped-gemm: weight dtype (bf16, fp16, fp8, mxfp4); attention: KV dtype")
      ->capture_default_str();
  gpu->add_option("--act-dtype", go->act_dtype, "activation dtype (bf16, fp8, ...)")
      ->capture_default_str();
  gpu->add_option("--batch", go->batch, "attention: sequences")
      ->check(positive_integer())
      ->capture_default_str();
  gpu->add_option("--seq-len", go->seq_len, "attention: cached tokens per sequence");
  gpu->add_option("--kv-heads", go->kv_heads, "attention: KV heads per sequence")
      ->check(positive_integer())
      ->capture_default_str();
  gpu->add_option("--queries-per-kv", go->queries_per_kv, "attention: query heads per KV head")
      ->check(positive_integer())
      ->capture_default_str();
  gpu->add_option("--head-dim", go->head_dim, "attention: key dimension")
      ->check(positive_integer())
      ->capture_default_str();
  gpu->add_option("--value-dim", go->value_dim, "attention: value dimension (default: head-dim)");
  gpu->add_flag("--shared-kv", go->shared_kv,
                "attention: keys and values are one latent read once (MLA)");
  gpu->add_option("--bytes", go->bytes, "elementwise: bytes read and written");
  add_param_option(*gpu, go->params,
                   "Override one parameter of the GPU preset, as key=value (value parsed as "
                   "YAML), e.g. -p hbm_bandwidth_GBps=4000 -p fixed_graph_us=0; `sievesim "
                   "params b200` lists them. Repeatable; an unknown key is an error.");

  auto no = std::make_shared<NetOpts>();
  auto* net = cost->add_subcommand("net", "One MoE dispatch all-to-all with uniform routing");
  net->add_option("--preset", no->preset, "scale-up fabric preset")->capture_default_str();
  net->add_option("--scale-out", no->scale_out, "scale-out fabric preset")->capture_default_str();
  net->add_option("--gpus-per-server", no->gpus_per_server, "GPUs per scale-up domain")
      ->check(positive_integer())
      ->capture_default_str();
  net->add_option("--nodes", no->nodes, "GPUs in the expert-parallel group")
      ->check(positive_integer())
      ->capture_default_str();
  net->add_option("--tokens-per-node", no->tokens, "tokens each GPU dispatches")
      ->check(non_negative_integer())
      ->capture_default_str();
  net->add_option("--hidden", no->hidden, "hidden size")
      ->check(positive_integer())
      ->capture_default_str();
  net->add_option("--topk", no->topk, "experts per token")
      ->check(positive_integer())
      ->capture_default_str();
  net->add_option("--mode", no->mode,
                  "per-destination (de-duplicated) or per-expert (low-latency kernels)")
      ->check(CLI::IsMember({"per-destination", "per-expert"}))
      ->capture_default_str();
  net->add_option("--phase", no->phase,
                  "dispatch or combine: the same bytes, each call with its own fixed cost")
      ->check(CLI::IsMember({"dispatch", "combine"}))
      ->capture_default_str();
  net->add_option("--act-bytes", no->act_bytes,
                  "bytes per hidden element on the wire (2 for BF16, 1 for FP8 dispatch)")
      ->check(positive_integer())
      ->capture_default_str();
  add_param_option(*net, no->params,
                   "Override one parameter of the scale-up fabric preset, as key=value (value "
                   "parsed as YAML), e.g. -p bandwidth_GBps=450; `sievesim params nvlink5` "
                   "lists them. Repeatable; an unknown key is an error.");

  return [pim, gpu, net, po, go, no]() {
    // The bounds above keep sizes in range; a preset slowed by -p can still stretch a kernel
    // past what 64-bit picoseconds hold, which the models report as a range error.
    try {
      if (pim->parsed()) return run_pim(*po);
      if (gpu->parsed()) return run_gpu(*go);
      if (net->parsed()) return run_net(*no);
    } catch (const std::range_error&) {
      throw InputError("", "-p and the sizes",
                       "the kernel would take longer than 2^62 ps (53 days); ask about a "
                       "smaller one or a faster part");
    }
    return kExitBadInput;
  };
}

}  // namespace sievesim::cli
