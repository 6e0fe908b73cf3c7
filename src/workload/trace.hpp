#pragma once
// Recorded routing: per MoE layer, per recorded sequence (request), per token, the top-k experts
// chosen and their gate weights. The sievesim trace format (text, one file), version 1 for
// sequences of one common length:
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
// Version 2 for whole requests of different lengths: `requests,R` replaces sequences and
// positions, and a table of R rows gives each request's length and where it came from (the
// source may contain commas: it is the rest of the line):
//
//   # sievesim-trace 2
//   experts,32
//   topk,4
//   layers,24
//   requests,136
//   request,tokens,first_position,row_index,source
//   0,511,101,35001,Polyglot-or-Not_Fact-Completion/fact_checking/False_False_examples.json.gz
//   ...
//   layer,request,position,expert_0,...,weight_{k-1}
//   0,0,0,31,21,22,6,0.49609375,...
//
// Every (layer, sequence, position < its length) appears exactly once; experts of a row are
// distinct and in [0, experts); weights are non-negative (they need not sum to 1: replay
// renormalizes). Version 2 writes weights in their shortest exact form, so a round trip through
// the file is the identity; version 1 output is kept byte for byte as it always was.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace sievesim {

// Where a recorded request came from (version 2 only).
struct TraceRequest {
  std::int64_t first_position = 0;  // the recorded token position of its first token
  std::int64_t row_index = -1;      // the recording's own request id (-1: none)
  std::string source;               // file it was imported from, relative to the import root
};

struct RoutingTrace {
  std::int64_t experts = 0, topk = 0, sequences = 0, layers = 0;
  std::int64_t positions = 0;          // version 1: every sequence's length; version 2: the longest
  std::vector<std::int64_t> length;    // tokens of each sequence
  std::vector<std::int64_t> start;     // first token of each sequence among a layer's `tokens`
  std::int64_t tokens = 0;             // tokens of all sequences, per layer
  std::vector<TraceRequest> requests;  // empty for version 1 (sequences of equal length)
  std::vector<std::int32_t> expert;    // [((layer * tokens + start[seq] + pos) * topk + j]
  std::vector<float> weight;

  // With equal lengths, start[seq] = seq * positions: version 1's layout, unchanged.
  std::size_t row(std::int64_t layer, std::int64_t seq, std::int64_t pos) const {
    return static_cast<std::size_t>((layer * tokens + start[static_cast<std::size_t>(seq)] + pos) *
                                    topk);
  }
  bool request_level() const { return !requests.empty(); }
  // Sets length/start/tokens/positions from per-sequence lengths and sizes expert and weight.
  void shape(std::vector<std::int64_t> lengths);
};

// Reads a sievesim trace (version 1 or 2, plain or gzip); InputError (file, line) on anything
// malformed.
RoutingTrace read_trace(const std::string& path);
// Version 1 when the trace has no request table, else version 2.
void write_trace(const RoutingTrace& t, std::ostream& out);
// write_trace into `path`, gzip-compressed when it ends in .gz (read_trace reads both).
void write_trace_file(const RoutingTrace& t, const std::string& path);

// Imports the FLAME-MoE decode traces (decode/posNN_layerLL.csv.gz: one file per token position
// and layer, 64 rows = that position of 64 sequences, one router-probability column per expert,
// non-zero for the token's top-k).
RoutingTrace import_flame_decode(const std::string& dir);

// Imports GPT-OSS expert recordings (workload/gpt_oss_trace.cpp): one request per .json or
// .json.gz file, `path` one file or a folder searched recursively, files in sorted path order.
// `experts` is the recorded model's expert count; 0 takes the largest id seen + 1.
RoutingTrace import_gpt_oss(const std::string& path, std::int64_t experts = 0);

// The importers by name (`sievesim trace-import --format`): "flame", "gpt-oss"; "auto" picks
// flame for a folder with decode/, gpt-oss for a .json(.gz) file or a folder without decode/.
std::vector<std::string> trace_formats();
std::string detect_trace_format(const std::string& path);
RoutingTrace import_trace(const std::string& format, const std::string& path,
                          std::int64_t experts = 0);

}  // namespace sievesim
