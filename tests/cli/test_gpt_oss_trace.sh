#!/usr/bin/env bash
# GPT-OSS-20B recorded routing from the command line: importing the 136 recorded requests into a
# request-level trace (version 2), replaying it in a decode run of the GPT-OSS-20B config on 1
# and 2 ranks, and a malformed recording rejected with exit 2.
source "$(dirname "$0")/common.sh" "$@"
GPTOSS=$SRC/../shared/traces/gpt-oss-20b
CONFIG=$SRC/../shared/model_configs/hf_reference/gpt-oss-20b_config.json

step "trace-import --format gpt-oss"
must_succeed "trace-import gpt-oss" "$SIEVESIM" trace-import --format gpt-oss --experts 32 "$GPTOSS" -o gptoss.trace
contains last.out "24 layers x 136 requests, 36913 tokens (longest 511), 32 experts, top-4" "trace-import summary"
[[ $(head -1 gptoss.trace) == "# sievesim-trace 2" ]] || fail "trace file lacks its version 2 line"
# 5 header lines, the request table (header + 136), the column header, 24 x 36,913 rows.
[[ $(wc -l <gptoss.trace) -eq $((1 + 4 + 137 + 1 + 24 * 36913)) ]] || fail "trace file has the wrong number of rows"
ok "gptoss.trace has 24 x 36,913 routing rows"
must_succeed "trace-import, format detected" "$SIEVESIM" trace-import "$GPTOSS" -o auto.trace
cmp -s gptoss.trace auto.trace || fail "the detected format imports differently from --format gpt-oss"
ok "the format is detected"
must_succeed "trace-import into a gzip file" "$SIEVESIM" trace-import "$GPTOSS" -o gptoss.trace.gz
zcat gptoss.trace.gz | cmp -s - gptoss.trace || fail "the .gz trace is not the gzip of the plain one"
ok "a .gz output name writes the same trace gzip-compressed"

step "replay in a decode run of GPT-OSS-20B (4 nodes, concurrency 16)"
cat >gptoss.yaml <<YAML
system: {nodes: 4, gpus_per_server: 4}
model: {config: $CONFIG}
workload:
  mode: decode
  requests: {closed: {concurrency: 16}, prompt: 64, output: 4}
  routing: {source: trace, trace: {path: gptoss.trace.gz, first_position: 64, pass_offset: 7}}
output: {layers: true}
YAML
must_succeed "run with gpt-oss trace routing, 1 rank" "$SIEVESIM" run gptoss.yaml -o one.h5 -q --max-iterations 6
must_succeed "run with gpt-oss trace routing, 2 ranks" mpirun_np 2 "$SIEVESIM" run gptoss.yaml -o two.h5 -q --max-iterations 6
h5diff one.h5 two.h5 /layers /layers >/dev/null || fail "gpt-oss replay differs between 1 and 2 ranks"
h5diff one.h5 two.h5 /summary /summary >/dev/null || fail "gpt-oss replay summary differs between 1 and 2 ranks"
ok "gpt-oss replay is identical on 1 and 2 ranks"
fitted=(-p workload.routing.source=fitted -p "workload.routing.fitted={path: gptoss.trace.gz}")
must_succeed "fitted routing, 1 rank" "$SIEVESIM" run gptoss.yaml -o fit1.h5 -q --max-iterations 6 "${fitted[@]}"
must_succeed "fitted routing, 4 ranks" mpirun_np 4 "$SIEVESIM" run gptoss.yaml -o fit4.h5 -q --max-iterations 6 "${fitted[@]}"
h5diff fit1.h5 fit4.h5 /layers /layers >/dev/null && h5diff fit1.h5 fit4.h5 /summary /summary >/dev/null ||
  fail "fitted routing differs between 1 and 4 ranks"
h5diff -q one.h5 fit1.h5 /layers /layers >/dev/null && fail "fitted routing ran exactly as the trace replay"
ok "fitted routing is identical on 1 and 4 ranks (and differs from the replay)"
"$PY" - one.h5 <<'PY' || fail "records are not conserved"
import sys, h5py
s = h5py.File(sys.argv[1], "r")["summary"].attrs
assert s["records_dispatched"] > 0 and s["records_dispatched"] == s["records_combined"], dict(s)
print(f"    ok: records_dispatched == records_combined == {s['records_dispatched']}")
PY

step "recorded lengths: each request's prompt and output are its recording's"
cat >lengths.yaml <<YAML
system: {nodes: 2, gpus_per_server: 2}
model: {config: $CONFIG}
workload:
  mode: decode
  requests:
    closed: {concurrency: 4, per_client: 2}
    prompt: {dist: trace, trace: {path: gptoss.trace.gz}}
    output: {dist: trace, trace: {path: gptoss.trace.gz}}
  routing: {source: trace, trace: {path: gptoss.trace.gz, position_origin: recorded}}
YAML
must_succeed "recorded lengths, 1 rank" "$SIEVESIM" run lengths.yaml -o len1.h5 -q
must_succeed "recorded lengths, 2 ranks" mpirun_np 2 "$SIEVESIM" run lengths.yaml -o len2.h5 -q
h5diff len1.h5 len2.h5 /summary /summary >/dev/null || fail "recorded-length replay differs between 1 and 2 ranks"
"$PY" - len1.h5 gptoss.trace "$GPTOSS" <<'PY' || fail "output tokens are not the recorded lengths"
import gzip, json, sys, h5py
# Requests 0..7 replay recordings 0..7 (the trace's request table names their JSON files); each
# generates as many tokens as its recording's router_data holds.
rows = []
with open(sys.argv[2]) as f:
    for line in f:
        if line.startswith("request,"):
            break
    for line in f:
        if line.startswith("layer,"):
            break
        rows.append(line.strip().split(","))
want = sum(len(json.load(gzip.open(sys.argv[3] + "/" + r[4]))["router_data"]) for r in rows[:8])
s = h5py.File(sys.argv[1], "r")["summary"].attrs
assert s["requests_finished"] == 8, dict(s)
assert s["output_tokens"] == want, (s["output_tokens"], want)
assert s["records_dispatched"] == s["records_combined"], dict(s)
print(f"    ok: 8 requests finished with {want} output tokens, their recordings' own")
# Every recorded (token, layer, expert) triple of requests 0..7 dispatched exactly once: the
# per-(layer, expert) loads equal a count over the trace rows of those requests.
want = {}
with open(sys.argv[2]) as f:
    for line in f:
        if line.startswith("layer,"): break
    for line in f:
        r = line.split(",")
        if int(r[1]) < 8:
            for e in r[3:7]:
                want[(int(r[0]), int(e))] = want.get((int(r[0]), int(e)), 0) + 1
el = h5py.File(sys.argv[1], "r")["expert_load"]
got = {(int(l), int(e)): int(t) for l, e, t in zip(el["layer"][:], el["expert"][:], el["tokens"][:]) if t}
assert got == want, sorted(set(got.items()) ^ set(want.items()))[:10]
print(f"    ok: {sum(want.values())} recorded (token, layer, expert) triples dispatched once each")
PY
ok "recorded prompt and output lengths, identical on 1 and 2 ranks"

step "workload-stats: trace, fitted and uniform routing side by side"
cat >stats.yaml <<YAML
system: {nodes: 2, gpus_per_server: 2}
model: {config: $CONFIG}
workload:
  mode: decode
  requests:
    prompt: {dist: trace, trace: {path: gptoss.trace}}
  routing:
    source: zipf
    trace: {path: gptoss.trace, position_origin: recorded}
    fitted: {path: gptoss.trace}
YAML
must_succeed "workload-stats --source" "$SIEVESIM" workload-stats stats.yaml --source trace,fitted,uniform --batch 16,64 --summary --step 40 --samples 4
contains last.out " batch  layer statistic             trace     fitted    uniform" "side-by-side header"
[[ $(grep -c "^ *\(16\|64\) *all " last.out) -eq 16 ]] || { show last.out >&2; fail "expected 8 statistics x 2 batch sizes"; }
cp last.out side.out
must_succeed "workload-stats, the trace alone" "$SIEVESIM" workload-stats stats.yaml -p workload.routing.source=trace --batch 16 --summary --step 40 --samples 4
"$PY" - side.out last.out gptoss.trace <<'PY' || fail "the trace column is not the replayed batches' statistics"
import sys
side = {" ".join(f[2:-3]): f[-3:] for f in map(str.split, open(sys.argv[1])) if f[:2] == ["16", "all"]}
alone = [f for f in map(str.split, open(sys.argv[2])) if f[:2] == ["16", "all"]][0]
assert side["active experts"][0] == alone[2], (side, alone)
assert side["max/mean"][0] == alone[8], (side, alone)
# Independently: requests 0..15 at recorded tokens 40..43 (their prompt + 40..43 replays recorded
# token 40..43, each wrapping with its own length), every layer: the mean number of experts used.
lengths, rows = {}, {}
with open(sys.argv[3]) as f:
    for line in f:
        if line.startswith("request,"): break
    for line in f:
        if line.startswith("layer,"): break
        r = line.split(","); lengths[int(r[0])] = int(r[1])
    for line in f:
        r = line.split(",")
        rows[(int(r[0]), int(r[1]), int(r[2]))] = r[3:7]
active = []
for layer in range(24):
    for b in range(4):
        used = set()
        for q in range(16):
            used.update(rows[(layer, q, (40 + b) % lengths[q])])
        active.append(len(used))
want = sum(active) / len(active)
assert abs(float(alone[2]) - want) < 0.006, (alone[2], want)
print(f"    ok: trace column = alone = independent replay: {want:.2f} active experts at batch 16")
PY
ok "side-by-side statistics agree with the single-source run and an independent count"
expect_exit2() {
  local what=$1 frag=$2 rc=0
  shift 2
  "$@" >/dev/null 2>err.txt || rc=$?
  [[ $rc -eq 2 && $(wc -l <err.txt) -eq 1 ]] && grep -q -- "$frag" err.txt || { show err.txt >&2; fail "$what: expected exit 2 and one line with '$frag'"; }
}
expect_exit2 "an unbounded batch" "--batch" "$SIEVESIM" workload-stats stats.yaml --batch 1000000000000
expect_exit2 "an unknown source" "workload.routing.source" "$SIEVESIM" workload-stats stats.yaml --source trace,nope
ok "an unbounded batch and an unknown source are exit 2 with one line"

step "bad input"
mkdir -p bad
zcat "$(find "$GPTOSS" -name '*.json.gz' | sort | head -1)" >whole.json
head -c 30000 whole.json >bad/cut_examples.json
rc=0
"$SIEVESIM" trace-import --format gpt-oss bad -o bad.trace 2>err.txt || rc=$?
[[ $rc -eq 2 && ! -e bad.trace ]] && grep -q "cut_examples.json: byte .*invalid JSON in router_data\[" err.txt ||
  { show err.txt >&2; fail "a truncated recording must be exit 2 naming the file and the token"; }
ok "a truncated recording is rejected naming the file and token"
rc=0
"$SIEVESIM" run gptoss.yaml -q -o bad.h5 -p model.config="$SRC/models/gpt-oss-120b.json" 2>err.txt || rc=$?
[[ $rc -eq 2 ]] && grep -q "trace has 32 experts, the model 128" err.txt && [[ ! -e bad.h5 ]] ||
  { show err.txt >&2; fail "32 recorded experts on a 128-expert model must be exit 2 without a mapping"; }
ok "a trace of another expert count is rejected"
echo "test_gpt_oss_trace: all checks passed in ${SECONDS}s"
