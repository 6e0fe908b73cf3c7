#pragma once
// PIM cost model interface: the time of GEMVs run inside the HBM stacks of one node, with the
// command counts that explain it. Every expert's (and every head's) weights are striped over all
// PIM channels of the node (DESIGN §2), so one GEMV uses the whole PIM at full width.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>

#include "base/params.hpp"
#include "base/registry.hpp"
#include "base/time.hpp"
#include "hw/energy/pim_energy.hpp"
#include "model/model.hpp"

namespace sievesim {

// Commands issued per channel (every channel runs the same sequence in parallel).
struct PimCommands {
  std::int64_t activate = 0;  // row activations (all-bank where the units are in the banks)
  std::int64_t precharge = 0;
  std::int64_t mac = 0;          // MAC commands (each reads one access granule per unit)
  std::int64_t mac_vectors = 0;  // sum over MAC commands of the input vectors each applies
  std::int64_t write_input = 0;  // input-vector writes into the PIM buffers
  std::int64_t read_output = 0;  // result read-backs
  std::int64_t softmax = 0;      // softmax steps (attention only)
};

struct PimCost {
  sim_time_t time_ps = 0;     // busy_ps stretched by the refreshes it meets (started at start_ps)
  sim_time_t busy_ps = 0;     // the command sequence alone, without refresh
  std::int64_t passes = 0;    // weight sweeps (ceil(tokens / input vectors held))
  double dram_bytes = 0;      // bytes read from the DRAM arrays (weights or KV), all passes
  double io_bytes = 0;        // bytes through the stack interface (inputs in, outputs out)
  sim_time_t refresh_ps = 0;  // time_ps - busy_ps: what refresh added
  PimCommands commands;       // per channel (attention: summed over the channels' slices)
  double energy_pj = 0;       // the commands' energy over every channel that ran them
  PimCost& operator+=(const PimCost& o);
};

// Decode attention of one KV head over a context of `context` tokens: score GEMV (queries x K^T),
// softmax, context GEMV (probabilities x V). `queries` query vectors share the head's KV (GQA
// group, or all heads of an MLA latent cache).
struct AttentionHead {
  std::int64_t context = 0;
  std::int64_t queries = 1;
  std::int64_t key_dim = 128;
  std::int64_t value_dim = 128;
  DType dtype = DType::kFP16;
};

// How GPU and PIM share the DRAM (DESIGN §2): dual row buffers let both run at once
// (`independent`); with one row buffer GPU requests take priority and PIM command streams stall
// while the GPU streams (`shared`); or the stacks switch between memory and PIM mode, so GPU
// memory work and PIM work never overlap (`exclusive`).
enum class Contention { kIndependent, kShared, kExclusive };

class PimModel {
 public:
  virtual ~PimModel() = default;

  // `tokens` input vectors times one [rows x cols] weight matrix (rows = input length), striped
  // over `channels` channels (0: every channel of every stack of the node), started at absolute
  // time `start_ps` (refresh falls at fixed times, so the start decides which refreshes it meets).
  PimCost gemv(std::int64_t rows, std::int64_t cols, std::int32_t tokens, DType weights,
               std::int64_t channels = 0, sim_time_t start_ps = 0) const;
  // One KV head alone on one channel, started at time 0.
  PimCost attention_head(const AttentionHead& h) const;

  // One expert: its matrices one after the other, with the commands' energy.
  PimCost expert(const ExpertShape& e, std::int32_t tokens, std::int64_t channels = 0,
                 sim_time_t start_ps = 0) const;

  virtual std::int64_t channels() const = 0;  // over all stacks of the node
  // The channels a GEMV asked to use `channels` (0: all) really spans.
  std::int64_t channels_used(std::int64_t channels) const {
    return channels > 0 && channels < this->channels() ? channels : this->channels();
  }
  // Peak internal weight bandwidth and MAC rate of the node's PIM: the roofline a scheduler
  // uses before it has measured anything.
  virtual double peak_bandwidth_Bps() const = 0;
  virtual double peak_flops() const = 0;
  virtual std::string describe() const = 0;
  // HBM capacity of the node's (PIM) stacks.
  virtual double capacity_bytes() const = 0;

  // What one command of each kind touches: the basis of its energy.
  virtual PimCommandShape command_shape() const = 0;
  // The price of the commands (the preset's `energy` section).
  const PimEnergy& energy() const { return *energy_; }

  Contention contention() const { return contention_; }
  void set_contention(Contention c) { contention_ = c; }

  // End of `busy_ps` of PIM work started at absolute time `start_ps` when all-bank refresh stops
  // the PIM for tRFC at every k * tREFI (k >= 1), as AttAcc's all-bank refresh manager issues
  // REFab at fixed cycles (pim_ramulator_src/all_bank_refresh_hbm3.cpp): every refresh that falls
  // inside the (stretched) interval delays the end by tRFC; a kernel shorter than tREFI may meet
  // none.
  sim_time_t refresh_end_ps(sim_time_t start_ps, sim_time_t busy_ps) const;

  sim_time_t gemv_ps(std::int64_t rows, std::int64_t cols, std::int32_t tokens, DType weights,
                     std::int64_t channels = 0, sim_time_t start_ps = 0) const {
    return gemv(rows, cols, tokens, weights, channels, start_ps).time_ps;
  }
  sim_time_t roofline_gemv_ps(std::int64_t rows, std::int64_t cols, std::int32_t tokens,
                              DType weights) const;
  // One expert: its matrices one after the other, on `channels` channels (0: all), started at
  // absolute time `start_ps`.
  sim_time_t expert_ps(const ExpertShape& e, std::int32_t tokens, std::int64_t channels = 0,
                       sim_time_t start_ps = 0) const;
  sim_time_t roofline_expert_ps(const ExpertShape& e, std::int32_t tokens) const;
  // A batch of heads spread over the channels, started at absolute time `start_ps`. Heads are
  // packed over the channels; where there are fewer heads than channels, each head's context is
  // split over several channels and the partial softmax results merged (merge_ps).
  PimCost attention(std::span<const AttentionHead> heads, sim_time_t start_ps = 0) const;

 protected:
  // The command sequence alone (busy_ps; time_ps = busy_ps, no refresh).
  virtual PimCost gemv_work(std::int64_t rows, std::int64_t cols, std::int32_t tokens,
                            DType weights, std::int64_t channels) const = 0;
  // `count` heads of shape `h` one after the other on one channel, without refresh.
  virtual PimCost attention_work(const AttentionHead& h, std::int64_t count) const = 0;
  // Merging the partial results of a head whose context was split over `parts` channels.
  virtual sim_time_t merge_ps(const AttentionHead& h, std::int64_t parts) const = 0;
  // Implementations read their `energy` section when they are built (the in-DRAM one derives
  // its power-limited MAC interval from the prices).
  void set_energy(std::shared_ptr<const PimEnergy> e) { energy_ = std::move(e); }
  void set_refresh(sim_time_t refi_ps, sim_time_t rfc_ps) {
    refi_ps_ = refi_ps;
    rfc_ps_ = rfc_ps;
  }

 private:
  friend class SlowedPimModel;  // a straggler's PIM: the same commands, slower (slowed_models.hpp)
  PimCost finish(PimCost c, sim_time_t start_ps) const;
  // expert()'s commands before refresh and roofline_expert_ps() of the last expert shape asked,
  // by token count (and channels): a run asks for the same few counts again and again, each
  // answer a walk of the GEMV commands (the count engine spent a sixth of its time here).
  struct ShapeKey {
    std::int64_t hidden = -1, intermediate = -1;
    bool gated = false, bias = false;
    DType dtype = DType::kBF16;
    bool operator==(const ShapeKey&) const = default;
  };
  bool same_shape(const ExpertShape& e) const;
  mutable ShapeKey memo_shape_;
  mutable std::unordered_map<std::uint64_t, PimCost> expert_memo_;
  mutable std::unordered_map<std::int32_t, sim_time_t> roofline_memo_;
  Contention contention_ = Contention::kIndependent;
  std::shared_ptr<const PimEnergy> energy_;
  sim_time_t refi_ps_ = 0, rfc_ps_ = 0;
};

using PimRegistry = Registry<PimModel, const Params&>;

std::unique_ptr<PimModel> make_pim_model(const Params& p);

}  // namespace sievesim
