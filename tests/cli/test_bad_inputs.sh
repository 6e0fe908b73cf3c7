# Bad input is reported, not simulated: for every case sievesim must exit 2, print ONE line on
# stderr containing "error:" that names the file and the key at fault (under mpirun OpenMPI may
# add its own lines, but only one "error:" line), and leave no result file behind (neither
# OUT.h5 nor OUT.h5.partial, nor any other *.h5* or *.partial in the work directory).
# usage: bash test_bad_inputs.sh SIEVESIM_BINARY SOURCE_DIR WORK_DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" "$@"

MODEL=$SRC/models/qwen3-30b-a3b.json
SHARED=$SRC/../shared
mkdir in  # inputs live in $WORK/in; results would land in $WORK, which must stay free of *.h5*

# expect_bad DESCRIPTION FRAGMENT... -- COMMAND...: COMMAND exits 2, its stderr has exactly one
# "error:" line and that line contains every FRAGMENT; without mpirun stderr is that one line
# only. No result file is left.
expect_bad() {
  local what=$1 frags=() rc=0 line n
  shift
  while [[ $1 != -- ]]; do
    frags+=("$1")
    shift
  done
  shift
  rm -f OUT.h5 OUT.h5.partial
  "$@" >bad.out 2>bad.err || rc=$?
  [[ $rc -eq 2 ]] || { show bad.err >&2; fail "$what: exit code $rc, expected 2"; }
  n=$(grep -c "error:" bad.err || true)
  [[ $n -eq 1 ]] || { show bad.err >&2; fail "$what: $n stderr lines contain 'error:', expected 1"; }
  if [[ $1 != mpirun_np ]]; then
    n=$(wc -l <bad.err)
    [[ $n -eq 1 ]] || { show bad.err >&2; fail "$what: $n lines on stderr, expected 1"; }
  fi
  line=$(grep "error:" bad.err)
  for f in "${frags[@]}"; do
    [[ $line == *"$f"* ]] || fail "$what: stderr line lacks '$f':
      | $line"
  done
  local left
  left=$(find . /nonexistent -maxdepth 1 \( -name '*.h5*' -o -name '*.partial' \) 2>/dev/null || true)
  [[ -z $left ]] || fail "$what: left a result file behind: $left"
  ok "$what  ->  $line"
}

# variant NAME SED_EXPRESSION...: in/NAME.yaml is base.yaml edited; fails if the edit matched
# nothing (so every case really changes what it claims to change).
variant() {
  local name=$1
  shift
  local args=()
  for e in "$@"; do args+=(-e "$e"); done
  sed "${args[@]}" in/base.yaml >"in/$name.yaml"
  ! cmp -s in/base.yaml "in/$name.yaml" || fail "variant $name: sed $* changed nothing"
}

run_bad() { "$SIEVESIM" run "$@" -o OUT.h5 -q; }

step "base experiment: the quickstart with an absolute model path; it must be valid"
sed "s#^\(  config:\) *\.\./models/qwen3-30b-a3b\.json#\1 $MODEL#" "$QUICKSTART" >in/base.yaml
! cmp -s "$QUICKSTART" in/base.yaml || fail "could not point model.config of the quickstart to $MODEL"
must_succeed "validate in/base.yaml" "$SIEVESIM" validate in/base.yaml

# shellcheck disable=SC2016  # a sed command, not a shell expansion
variant topkey '$a bogus: 1'
variant nested_typo 's/^  gpus_per_server: 4 /  gpus_per_servr: 4 /'
variant nodse 's/^  nodes: 4 /  nodse: 4 /'
variant nodes_four 's/^  nodes: 4 /  nodes: four /'
variant negative_batch 's/concurrency: 256 /concurrency: -3 /'
variant no_nodes '/^  nodes: 4 /d'
variant no_model_file "s#$MODEL#$SRC/models/no-such-model.json#"
variant bad_gpu 's/preset: b200/preset: b999/'
variant bad_scheduler 's/^  name: sieve /  name: sievex /'
variant malformed 's/^  nodes: 4 /  nodes: [4 /'
variant dense_model "s#$MODEL#$SHARED/model_configs/hf_reference/qwen3-8B_config.json#"
variant huge_request 's/prompt: 2048 /prompt: 10000000 /'
printf '0,10,10\n0.1,10,x\n' >in/bad.csv
variant bad_csv "s#arrival: closed #arrival: csv\\n    csv: {path: bad.csv}#"
variant no_csv "s#arrival: closed #arrival: csv\\n    csv: {path: none.csv}#"
printf '{\n  "model_type": "qwen3_moe",\n  "hidden_size": 2048,\n' >in/truncated.json
sed 's/"num_experts_per_tok": 8,/"num_experts_per_tok": 999,/' "$MODEL" >in/topk999.json
! cmp -s "$MODEL" in/topk999.json || fail "could not set num_experts_per_tok in in/topk999.json"
variant malformed_json "s#$MODEL#$WORK/in/truncated.json#"
variant topk_too_large "s#$MODEL#$WORK/in/topk999.json#"
[[ -f $SHARED/model_configs/hf_reference/qwen3-8B_config.json ]] ||
  fail "missing $SHARED/model_configs/hf_reference/qwen3-8B_config.json"

step "bad experiment files (sievesim run)"
expect_bad "unknown top-level key" "topkey.yaml" "bogus: unknown key 'bogus'" -- run_bad in/topkey.yaml
expect_bad "unknown nested key" "nested_typo.yaml" "system.gpus_per_servr: unknown key" \
  "did you mean 'gpus_per_server'" -- run_bad in/nested_typo.yaml
expect_bad "wrong type (nodes: four)" "nodes_four.yaml" "system.nodes:" "'four'" \
  -- run_bad in/nodes_four.yaml
expect_bad "negative concurrency" "negative_batch.yaml" "workload.requests.closed.concurrency:" \
  "'-3'" -- run_bad in/negative_batch.yaml
expect_bad "missing required key" "no_nodes.yaml" "system.nodes: missing required key" \
  -- run_bad in/no_nodes.yaml
expect_bad "missing model file" "no_model_file.yaml" "model.config:" "no-such-model.json" \
  "does not exist" -- run_bad in/no_model_file.yaml
expect_bad "malformed model JSON" "truncated.json" "malformed JSON" -- run_bad in/malformed_json.yaml
expect_bad "top-k larger than the experts" "topk999.json" "num_experts_per_tok" "999" \
  -- run_bad in/topk_too_large.yaml
expect_bad "unknown GPU preset" "bad_gpu.yaml" "system.gpu.preset:" "'b999'" -- run_bad in/bad_gpu.yaml
expect_bad "unknown scheduler" "bad_scheduler.yaml" "scheduler.name:" "'sievex'" \
  -- run_bad in/bad_scheduler.yaml
expect_bad "malformed YAML" "malformed.yaml" "malformed YAML" -- run_bad in/malformed.yaml
expect_bad "model without MoE layers" "dense_model.yaml" "model.config:" "no MoE layers" \
  -- run_bad in/dense_model.yaml
expect_bad "request too long for the KV cache" "huge_request.yaml" "workload.requests:" \
  "KV cache" -- run_bad in/huge_request.yaml
expect_bad "malformed request CSV" "bad.csv" "line 2" "arrival_s,prompt_tokens,output_tokens" \
  -- run_bad in/bad_csv.yaml
expect_bad "missing request CSV" "no_csv.yaml" "workload.requests.csv.path:" "none.csv" \
  -- run_bad in/no_csv.yaml
expect_bad "experiment file does not exist" "in/none.yaml" "cannot open" -- run_bad in/none.yaml

step "bad command lines"
expect_bad "-p with an unknown key" "base.yaml" "system.nodez: unknown key 'nodez'" \
  -- run_bad in/base.yaml -p system.nodez=4
expect_bad "-p with a wrong type" "base.yaml" "system.nodes:" "'abc'" "(value set with -p)" \
  -- run_bad in/base.yaml -p system.nodes=abc
expect_bad "-p without =" "base.yaml" "expected key.path=value" -- run_bad in/base.yaml -p system.nodes
expect_bad "--nodes-per-rank 3 on 1 rank" "base.yaml" "system.nodes:" "3 nodes per rank" \
  -- run_bad in/base.yaml --nodes-per-rank 3
expect_bad "placement replicas that do not fit in HBM" "base.yaml" "placement.eplb:" \
  "expert copies on node" "fewer replicas" -- run_bad in/base.yaml -p placement.policy=eplb \
  -p placement.eplb.redundant_experts=2048 -p placement.rebalance_every=4
expect_bad "unknown replica dispatch rule" "base.yaml" "placement.replica_dispatch:" "'closest'" \
  -- run_bad in/base.yaml -p placement.replica_dispatch=closest
printf 'layer,expert,tokens\n0,1,5\n0,999,5\n' >in/load.csv
expect_bad "load file naming an expert the model lacks" "in/load.csv" "line 3" "expert 999" \
  -- run_bad in/base.yaml -p placement.policy=eplb -p placement.load_file="$WORK/in/load.csv"
expect_bad "load file for a placement that ignores loads" "base.yaml" "placement.load_file:" \
  -- run_bad in/base.yaml -p placement.load_file="$WORK/in/load.csv"
expect_bad "nonexistent output directory" "base.yaml" "-o:" "'/nonexistent'" "does not exist" \
  -- "$SIEVESIM" run in/base.yaml -o /nonexistent/x.h5 -q

step "bad inputs under mpirun"
expect_bad "4 nodes on 3 ranks (quickstart as shipped)" "quickstart.yaml" "system.nodes:" \
  "3 MPI ranks" -- mpirun_np 3 "$SIEVESIM" run "$QUICKSTART" -o OUT.h5 -q
expect_bad "unknown scheduler on 4 ranks (one error line, not four)" "bad_scheduler.yaml" \
  "scheduler.name:" -- mpirun_np 4 "$SIEVESIM" run in/bad_scheduler.yaml -o OUT.h5 -q

step "sievesim validate on bad files"
expect_bad "validate: unknown GPU preset" "bad_gpu.yaml" "system.gpu.preset:" \
  -- "$SIEVESIM" validate in/bad_gpu.yaml
[[ ! -s bad.out ]] || fail "validate printed a configuration for a bad file"
expect_bad "validate: top-k larger than the experts" "topk999.json" "num_experts_per_tok" \
  -- "$SIEVESIM" validate in/topk_too_large.yaml
expect_bad "validate --ranks 3" "base.yaml" "system.nodes:" "3 MPI ranks" \
  -- "$SIEVESIM" validate in/base.yaml --ranks 3

step "sievesim report on files that are not results"
need_python
"$PY" -c 'import h5py; h5py.File("in/plain.hdf5", "w").create_group("data")'
expect_bad "report: missing file" "in/missing.h5" "no such result file" \
  -- "$SIEVESIM" report in/missing.h5
expect_bad "report: not an HDF5 file" "in/base.yaml" "not an HDF5 file" \
  -- "$SIEVESIM" report in/base.yaml
expect_bad "report: HDF5 file without software=sievesim" "in/plain.hdf5" "not a sievesim result" \
  -- "$SIEVESIM" report in/plain.hdf5

step "contract cases once answered wrongly (issue 17)"
# A typo of a REQUIRED key was reported as the required key missing, which hid the typo.
expect_bad "unknown nested key replacing a required one (nodse)" "nodse.yaml" \
  "system.nodse: unknown key 'nodse'" -- run_bad in/nodse.yaml
# An HDF5 file from another tool whose 'software' attribute is a variable-length string (what
# h5py writes for a str) made report fail with "internal error: HDF5: H5Aread failed", exit 1.
"$PY" -c 'import h5py; h5py.File("in/other.hdf5", "w").attrs["software"] = "other"'
expect_bad "report: HDF5 file written by another program" "in/other.hdf5" \
  "not a sievesim result" -- "$SIEVESIM" report in/other.hdf5
# A truncated result file: was "internal error: HDF5: H5Fopen failed", exit 1.
must_succeed "run --max-iterations 1 -o in/good.h5 (to truncate a copy)" \
  "$SIEVESIM" run in/base.yaml --max-iterations 1 --nodes-per-rank 4 -o in/good.h5 -q
head -c 20000 in/good.h5 >in/truncated.h5
expect_bad "report: truncated result file" "in/truncated.h5" -- "$SIEVESIM" report in/truncated.h5
# -o naming an existing directory was found only after the simulation (exit 1 via MPI_Abort).
mkdir outdir
expect_bad "-o naming an existing directory" "outdir" \
  -- "$SIEVESIM" run in/base.yaml --max-iterations 1 -o outdir -q

# Sizes whose products leave 64 bits printed negative command counts with exit 0.
expect_bad "cost pim: a GEMV too large for 64 bits" "--rows/--cols" "do not fit" \
  -- "$SIEVESIM" cost pim --rows 4294967296 --cols 4294967296
expect_bad "cost pim: attention too large for 64 bits" "--heads/--seq-len/--head-dim" \
  -- "$SIEVESIM" cost pim --kernel attention --seq-len 4294967296 --heads 64 --head-dim 4096
expect_bad "cost pim: more input vectors than 32 bits count" "--tokens" "at most 65536" \
  -- "$SIEVESIM" cost pim --rows 64 --cols 64 --tokens 4294967296
expect_bad "cost gpu: a grouped GEMM too large for 64 bits" "--experts/--rows/--cols" \
  -- "$SIEVESIM" cost gpu --experts 4 --rows 4294967296 --cols 4294967296
expect_bad "cost gpu: token counts beyond 32 bits" "--tokens-per-expert" "2147483647" \
  -- "$SIEVESIM" cost gpu --rows 8 --cols 8 --tokens-per-expert 5000000000
expect_bad "cost gpu: attention too large for 64 bits" "--batch/--seq-len/--kv-heads" \
  -- "$SIEVESIM" cost gpu --kernel attention --seq-len 4294967296 --batch 4294967296
expect_bad "cost gpu: elementwise bytes NaN" "--bytes" \
  -- "$SIEVESIM" cost gpu --kernel elementwise --bytes nan
expect_bad "cost gpu: a kernel longer than 2^62 ps on a part slowed by -p" "-p and the sizes" \
  "2^62 ps" -- "$SIEVESIM" cost gpu --preset h100 --rows 200000 --cols 200000 \
  --tokens-per-expert 2147483647 --act-dtype fp32 -p peak_fp32_tflops=0.001
expect_bad "cost net: bytes too large for 64 bits" "--tokens-per-node/--hidden" \
  -- "$SIEVESIM" cost net --tokens-per-node 4294967296 --hidden 4294967296 --topk 8

# Results of another schema were read as if they were of this one.
cp in/good.h5 in/old.h5
"$PY" -c 'import h5py; h5py.File("in/old.h5", "a").attrs["schema_version"] = 3'
expect_bad "report: a result of an older schema" "in/old.h5" "schema_version:" "schema 3" \
  -- "$SIEVESIM" report in/old.h5
cp in/good.h5 in/new.h5
"$PY" -c 'import h5py; h5py.File("in/new.h5", "a").attrs["schema_version"] = 99'
expect_bad "report: a result of a newer schema" "in/new.h5" "schema_version:" "schema 99" \
  -- "$SIEVESIM" report in/new.h5

printf 'layer,expert,tokens\n0,1,1e23\n' >in/load_big.csv
expect_bad "load file with 1e23 tokens" "in/load_big.csv" "line 2" "at most 2147483647" \
  -- run_bad in/base.yaml -p placement.policy=eplb -p placement.load_file="$WORK/in/load_big.csv"
variant dir_model "s#$MODEL#$SRC/models#"
expect_bad "a directory as model.config" "dir_model.yaml" "model.config:" "is a directory" \
  -- run_bad in/dir_model.yaml
must_succeed "trace-import (to spoil a weight)" \
  "$SIEVESIM" trace-import "$SHARED/traces/flame-moe-290m" -o in/flame.trace
awk -F, 'BEGIN { OFS = "," } NR == 8 { $NF = "nan" } { print }' in/flame.trace >in/nan.trace
expect_bad "a NaN trace weight" "in/nan.trace" "line 8" "'nan' is not a finite number" \
  -- run_bad in/base.yaml -p workload.routing.source=trace \
  -p workload.routing.trace.path="$WORK/in/nan.trace"

step "sievesim timeline on results it cannot export"
must_succeed "run with output.layers: false" \
  "$SIEVESIM" run in/base.yaml --max-iterations 1 --nodes-per-rank 4 -p output.layers=false \
  -o in/nolayers.h5 -q
expect_bad "timeline: a result without /layers" "in/nolayers.h5" "/layers:" \
  "output.layers: true" -- "$SIEVESIM" timeline in/nolayers.h5 -o in/t.json
expect_bad "timeline: --point on a file of one run" "in/good.h5" "--point:" \
  -- "$SIEVESIM" timeline in/good.h5 --point sieve -o in/t.json
expect_bad "timeline: iterations the run does not have" "in/good.h5" "--iterations:" \
  -- "$SIEVESIM" timeline in/good.h5 --iterations 5:9 -o in/t.json
[[ ! -e in/t.json && ! -e in/t.json.partial ]] || fail "timeline left a trace file after bad input"

step "bad faults: sections"
expect_bad "faults: a node the cluster does not have" "base.yaml" "faults.fail_nodes:" "node 9" \
  -- run_bad in/base.yaml -p 'faults.fail_nodes=[9]' -p 'faults.fail_at_iteration=[2]'
expect_bad "faults: one fail time per failing node" "base.yaml" "faults.fail_at_iteration:" \
  -- run_bad in/base.yaml -p 'faults.fail_nodes=[1,2]' -p 'faults.fail_at_iteration=[2]'
expect_bad "faults: no fail time" "base.yaml" "faults.fail_at_iteration:" "exactly one" \
  -- run_bad in/base.yaml -p 'faults.fail_nodes=[1]'
expect_bad "faults: rejoin before the failure" "base.yaml" "faults.rejoin_at_iteration:" \
  -- run_bad in/base.yaml -p 'faults.fail_nodes=[1]' -p 'faults.fail_at_iteration=[5]' \
  -p 'faults.rejoin_at_iteration=[3]'
expect_bad "faults: every node fails" "base.yaml" "faults.fail_nodes:" "survive" \
  -- run_bad in/base.yaml -p 'faults.fail_nodes=[0,1,2,3]' -p 'faults.fail_at_iteration=[1,1,1,1]'
expect_bad "faults: a zero slowdown" "base.yaml" "faults.gpu_slowdown:" \
  -- run_bad in/base.yaml -p 'faults.straggler_nodes=[1]' -p 'faults.gpu_slowdown=[0]'
expect_bad "faults: failures with a rebalancing placement" "base.yaml" "faults.fail_nodes:" \
  "rebalance_every" -- run_bad in/base.yaml -p 'faults.fail_nodes=[1]' \
  -p 'faults.fail_at_iteration=[2]' -p placement.rebalance_every=4
expect_bad "faults: unknown policy for lost requests" "base.yaml" "faults.on_failure:" \
  -- run_bad in/base.yaml -p faults.on_failure=retry
n=$(grep -c '^expect_bad ' "$SRC/tests/cli/test_bad_inputs.sh")
[[ $n -ge 40 ]] || fail "the suite holds $n bad-input cases, expected at least 40"
ok "$n bad-input cases"

passed
