#pragma once
// Recorded routing: per MoE layer, per sequence, per token position, the top-k experts chosen and
// their gate weights. The sievesim trace format (text, one file):
//
//   # sievesim-trace 1
//   experts,64            routed experts of the recorded model
//   topk,6                experts per token
//   sequences,64          recorded sequences
//   positions,10          token positions recorded per sequence
//   layers,8              MoE layers recorded
//   layer,sequence,position,expert_0,...,expert_{k-1},weight_0,...,weight_{k-1}
//   0,0,0,3,12,21,40,51,60,0.0325,...
//
// Every (layer, sequence, position) appears exactly once; experts of a row are distinct and in
// [0, experts); weights are non-negative (they need not sum to 1: replay renormalizes).
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace sievesim {

struct RoutingTrace {
  std::int64_t experts = 0, topk = 0, sequences = 0, positions = 0, layers = 0;
  std::vector<std::int32_t> expert;  // [((layer * sequences + seq) * positions + pos) * topk + j]
  std::vector<float> weight;

  std::size_t row(std::int64_t layer, std::int64_t seq, std::int64_t pos) const {
    return static_cast<std::size_t>(((layer * sequences + seq) * positions + pos) * topk);
  }
};

// Reads a sievesim trace; InputError (file, line) on anything malformed.
RoutingTrace read_trace(const std::string& path);
void write_trace(const RoutingTrace& t, std::ostream& out);

// Imports the FLAME-MoE decode traces (decode/posNN_layerLL.csv.gz: one file per token position
// and layer, 64 rows = that position of 64 sequences, one router-probability column per expert,
// non-zero for the token's top-k).
RoutingTrace import_flame_decode(const std::string& dir);

}  // namespace sievesim
