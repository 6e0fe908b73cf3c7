# The commands on good input: --version, the help texts, `validate` (resolved config and derived
# figures), `run` (the result file's layout and metadata), `report`, and the invariants of a
# result (token and record counts, per-node layer timeline, iteration order).
# usage: bash test_commands.sh SIEVESIM_BINARY SOURCE_DIR WORK_DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" "$@"
need_python
MODEL=$SRC/models/qwen3-30b-a3b.json

# ---------------------------------------------------------------------------------------------
step "--version prints the version and the git revision"
must_succeed "sievesim --version" "$SIEVESIM" --version
cp last.out version.txt
project_version=$(sed -n 's/^project(sievesim VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[[ -n $project_version ]] || fail "cannot find the project VERSION in $SRC/CMakeLists.txt"
re='^sievesim ([0-9.]+) \(git ([^,]+), result schema ([0-9]+)\)$'
[[ $(wc -l <version.txt) -eq 1 && $(cat version.txt) =~ $re ]] ||
  { show version.txt >&2; fail "--version output is not 'sievesim X.Y.Z (git REV, result schema N)'"; }
version=${BASH_REMATCH[1]} git_rev=${BASH_REMATCH[2]} schema=${BASH_REMATCH[3]}
[[ $version == "$project_version" ]] || fail "--version says $version, CMakeLists.txt says $project_version"
ok "version $version matches CMakeLists.txt"
if git -C "$SRC" rev-parse --verify -q HEAD >/dev/null 2>&1; then
  # Built from a git checkout: the revision is a commit of that repository (it is taken when
  # CMake configures, so it may be older than HEAD).
  [[ $git_rev =~ ^[0-9a-f]{7,40}$ ]] || fail "--version git revision is '$git_rev', expected a commit hash"
  git -C "$SRC" cat-file -e "$git_rev^{commit}" 2>/dev/null ||
    fail "--version git revision $git_rev is not a commit of $SRC"
  ok "git revision $git_rev is a commit of the source tree"
else
  [[ -n $git_rev ]] || fail "--version has an empty git revision"
  ok "git revision '$git_rev' (source tree is not a git checkout)"
fi

# ---------------------------------------------------------------------------------------------
step "help texts exit 0 and mention every option"
# help_mentions WHAT ARGS... -- WORD...: `sievesim ARGS` exits 0 and its stdout has every WORD.
help_mentions() {
  local what=$1 args=()
  shift
  while [[ $1 != -- ]]; do
    args+=("$1")
    shift
  done
  shift
  must_succeed "sievesim $what" "$SIEVESIM" "${args[@]}"
  for w in "$@"; do contains last.out "$w" "sievesim $what"; done
  ok "sievesim $what mentions: $*"
}
help_mentions "--help" --help -- run validate report --version "Exit codes"
help_mentions "run --help" run --help -- --output --param --nodes-per-rank --seed --max-iterations \
  --log-all-ranks --log-level --quiet EXPERIMENT.yaml
help_mentions "validate --help" validate --help -- --param --ranks --nodes-per-rank EXPERIMENT.yaml
help_mentions "report --help" report --help -- results OUT.h5

# ---------------------------------------------------------------------------------------------
step "progress lines on a pipe: point i/N, iteration, simulated time; none with -q"
must_succeed "run a 2-point sweep, --progress-every 0" "$SIEVESIM" run "$QUICKSTART" --max-iterations 2 \
  --sweep workload.requests.closed.concurrency=8,16 --progress-every 0 -o progress.h5
grep -Eq '^\[sievesim\] point 1/2 concurrency=8: iteration 1/2, 0/8 requests done, simulated [0-9.]+ ms' last.err ||
  { show last.err >&2; fail "no progress line for point 1/2, iteration 1/2"; }
grep -Eq '^\[sievesim\] point 2/2 concurrency=16: iteration 2/2, .*, done$' last.err ||
  { show last.err >&2; fail "no closing progress line for point 2/2"; }
must_succeed "the same with -q" "$SIEVESIM" run "$QUICKSTART" --max-iterations 2 \
  --sweep workload.requests.closed.concurrency=8,16 --progress-every 0 -q -o progress.h5
! grep -q '^\[sievesim\] point' last.err || fail "-q must silence the progress lines"
ok "progress lines name the point, the iteration and the simulated time; -q silences them"

step "validate prints the resolved configuration and the derived figures"
must_succeed "validate configs/quickstart.yaml" "$SIEVESIM" validate "$QUICKSTART"
cp last.out validate.txt
[[ ! -s last.err ]] || { show last.err >&2; fail "validate wrote to stderr"; }
for section in system: model: workload: scheduler: placement: output:; do
  grep -qx "$section" validate.txt || fail "validate: no top-level '$section' in the resolved config"
done
contains validate.txt "    hbm_bandwidth_GBps: 8000" "validate (b200 preset default)"
contains validate.txt "    preset: b200" "validate"
grep -Eq '^#[[:space:]]+total params[[:space:]]+30\.53 B$' validate.txt ||
  { show validate.txt >&2; fail "validate: no 'total params 30.53 B' line"; }
grep -Eq '^#[[:space:]]+routed experts, top-k[[:space:]]+128, 8$' validate.txt ||
  fail "validate: no 'routed experts, top-k 128, 8' line"
ok "resolved config has every section, the b200 defaults (hbm_bandwidth_GBps: 8000), total params 30.53 B"
# Numbers read back as written (shortest round-trip text, not 17 digits).
contains validate.txt "    hbm_utilization: 0.9" "validate prints 0.9"
contains validate.txt "      s: 0.8" "validate prints the Zipf exponent 0.8"
! grep -Eq '[0-9]\.[0-9]{15,}' validate.txt || { show validate.txt >&2; fail "a 17-digit number in the resolved config"; }
# The KV figure is the experiment's own longest request (prompt 2048 + output 16 in the quickstart).
grep -Eq '^#[[:space:]]+KV bytes of the longest request[[:space:]]+[0-9]+ \(2048 \+ 16 tokens\)$' validate.txt ||
  { show validate.txt >&2; fail "validate: no KV line for the longest request (2048 + 16)"; }
ok "numbers as written; the KV figure is the experiment's longest request"

# The resolved configuration is itself a valid experiment that resolves to the same thing
# (model.config is relative to the quickstart, so it is overridden with the absolute path).
sed '/^#/d' validate.txt >resolved.yaml
must_succeed "validate the resolved config again" \
  "$SIEVESIM" validate resolved.yaml -p model.config="$MODEL"
sed '1d' last.out >again.txt
must_succeed "validate quickstart -p model.config=ABSOLUTE" \
  "$SIEVESIM" validate "$QUICKSTART" -p model.config="$MODEL"
sed '1d' last.out >orig.txt
diff orig.txt again.txt >/dev/null || { diff orig.txt again.txt | show /dev/stdin >&2; fail "the resolved config does not resolve to itself"; }
ok "the resolved config round-trips"

must_succeed "validate -p system.nodes=8 -p system.gpus_per_server=8" \
  "$SIEVESIM" validate "$QUICKSTART" -p system.nodes=8 -p system.gpus_per_server=8
grep -qx "  nodes: 8" last.out || { show last.out >&2; fail "validate -p: no 'nodes: 8'"; }
grep -qx "  gpus_per_server: 8" last.out || fail "validate -p: no 'gpus_per_server: 8'"
ok "the -p overrides show in the resolved config"
must_succeed "validate --ranks 2" "$SIEVESIM" validate "$QUICKSTART" --ranks 2

# ---------------------------------------------------------------------------------------------
step "run writes the result file"
must_succeed "run configs/quickstart.yaml -o OUT.h5" "$SIEVESIM" run "$QUICKSTART" -o OUT.h5
cp last.out run.txt
[[ -f OUT.h5 ]] || fail "run exited 0 but wrote no OUT.h5"
[[ ! -e OUT.h5.partial ]] || fail "run left OUT.h5.partial behind"
contains run.txt "result: $WORK/OUT.h5" "run (summary printed)"
contains run.txt "throughput" "run (summary printed)"
ok "OUT.h5 written, no OUT.h5.partial, summary and path printed"
must_succeed "run -q --max-iterations 1 -o quiet.h5" \
  "$SIEVESIM" run "$QUICKSTART" -q --max-iterations 1 -o quiet.h5
[[ ! -s last.out ]] || { show last.out >&2; fail "run -q printed to stdout"; }
[[ -f quiet.h5 ]] || fail "run -q wrote no quiet.h5"
ok "run -q prints nothing and writes the file"

step "the file's groups and root attributes (h5dump -H)"
h5dump -H OUT.h5 >header.txt || fail "h5dump -H OUT.h5 failed"
for g in summary layers iterations requests; do
  grep -qx "   GROUP \"$g\" {" header.txt || fail "OUT.h5 has no group /$g"
done
ok "groups /summary /layers /iterations /requests"
attrs=(software version git_revision date schema_version config model_config_json ranks nodes)
for a in "${attrs[@]}"; do
  grep -qx "   ATTRIBUTE \"$a\" {" header.txt || fail "OUT.h5 has no root attribute '$a'"
done
ok "root attributes ${attrs[*]}"
[[ $(h5attr OUT.h5 / software) == sievesim ]] || fail "root attribute software is not 'sievesim'"
[[ $(h5attr OUT.h5 / version) == "$version" ]] || fail "root attribute version differs from --version"
[[ $(h5attr OUT.h5 / git_revision) == "$git_rev" ]] || fail "root attribute git_revision differs from --version"
[[ $(h5attr OUT.h5 / schema_version) == "$schema" ]] || fail "root attribute schema_version differs from --version"
[[ $(h5attr OUT.h5 / date) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]] || fail "root attribute date is not ISO 8601 UTC"
h5attr OUT.h5 / config >config_attr.txt
# -o OUT.h5 is recorded as output.path in the stored configuration.
"$SIEVESIM" validate "$QUICKSTART" -p output.path=OUT.h5 >validate_o.txt ||
  fail "validate -p output.path=OUT.h5 failed"
diff <(sed '/^#/d; /^$/d' validate_o.txt) <(sed '/^$/d' config_attr.txt) >/dev/null ||
  fail "root attribute config differs from the resolved config printed by validate"
grep -qx "  path: OUT.h5" config_attr.txt || fail "stored config does not record -o as output.path"
ok "software, version, git_revision, schema_version, date and config agree with --version and validate"

step "every dataset of the tables has a units attribute"
"$PY" - OUT.h5 <<'EOF' || fail "datasets without units (see above)"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
bad = [f"/{g}/{d}" for g in ("layers", "iterations", "requests") for d in f[g]
       if "units" not in f[g][d].attrs]
if not len(f["layers"]):
    bad.append("/layers has no datasets")
for b in bad:
    print("  no units:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
ok "units on every dataset of /layers, /iterations, /requests"

# ---------------------------------------------------------------------------------------------
step "report prints the summary and the breakdown"
must_succeed "report OUT.h5" "$SIEVESIM" report OUT.h5
for w in "throughput" "interactivity" "attention + router" "dispatch" "experts" "combine" \
  "GPU busy" "PIM busy" "layer total" "mean iteration time" "TPOT mean / p50 / p99"; do
  contains last.out "$w" "report OUT.h5"
done
ok "throughput, interactivity, attention/dispatch/experts/combine phases, GPU/PIM busy"
must_succeed "report OUT.h5 quiet.h5" "$SIEVESIM" report OUT.h5 quiet.h5
[[ $(grep -c "^sievesim result" last.out) -eq 2 ]] || fail "report of two files did not print two reports"
ok "report of two files prints two reports"

# ---------------------------------------------------------------------------------------------
step "invariants of the result"
# The workload figures come from the resolved configuration stored in the file: the quickstart
# is a decode run where every request is admitted at once and decodes `output` tokens.
"$PY" - OUT.h5 <<'EOF' || fail "invariants violated (see above)"
import json, sys
import h5py, numpy as np, yaml
path = sys.argv[1]
f = h5py.File(path, "r")
cfg = yaml.safe_load(f.attrs["config"])
wl = cfg["workload"]
assert wl["mode"] == "decode" and wl["requests"]["arrival"] == "closed", "quickstart changed mode"
nodes = cfg["system"]["nodes"]
batch = wl["requests"]["closed"]["concurrency"] // nodes
iters = wl["requests"]["output"]["fixed"]["tokens"]
errors = []
def check(cond, msg):
    print(("    ok: " if cond else "  FAILED: ") + msg, file=sys.stdout if cond else sys.stderr)
    if not cond:
        errors.append(msg)

# The model's figures straight from its Hugging Face config (Qwen3-MoE rules).
hf = json.loads(f.attrs["model_config_json"])
layers = hf["num_hidden_layers"]
step_ = hf.get("decoder_sparse_step", 1) or 1
moe = sum(1 for i in range(layers)
          if i not in hf.get("mlp_only_layers", []) and hf["num_experts"] > 0 and (i + 1) % step_ == 0)
top_k = hf["num_experts_per_tok"]

s = f["summary"].attrs
check(s["nodes"] == nodes and s["iterations"] == iters,
      f"/summary nodes={s['nodes']} iterations={s['iterations']} (expected {nodes}, {iters})")
check(s["output_tokens"] == nodes * batch * iters,
      f"output_tokens {s['output_tokens']} == nodes x batch x iterations = {nodes * batch * iters}")
rec = nodes * batch * top_k * moe * iters
check(s["records_dispatched"] == rec and s["records_combined"] == rec,
      f"records_dispatched {s['records_dispatched']} == records_combined {s['records_combined']} == "
      f"nodes x batch x top_k x moe_layers x iterations = {nodes}x{batch}x{top_k}x{moe}x{iters} = {rec}")

L = {k: f["layers"][k][()] for k in ("node", "iteration", "layer", "start_ps", "end_ps")}
check(len(L["node"]) == nodes * iters * layers, f"/layers has nodes x iterations x layers = {nodes * iters * layers} rows")
check(sorted(set(L["node"].tolist())) == list(range(nodes)), f"/layers covers nodes 0..{nodes - 1}")
bad_nodes = []
for n in range(nodes):
    m = L["node"] == n
    order = np.lexsort((L["layer"][m], L["iteration"][m]))
    it, ly = L["iteration"][m][order], L["layer"][m][order]
    start, end = L["start_ps"][m][order], L["end_ps"][m][order]
    expect_it = np.repeat(np.arange(iters), layers)
    expect_ly = np.tile(np.arange(layers), iters)
    same_iter = it[1:] == it[:-1]
    problems = []
    if not (np.array_equal(it, expect_it) and np.array_equal(ly, expect_ly)):
        problems.append("not one row per (iteration, layer)")
    if np.any(np.diff(end) < 0):
        problems.append("end_ps decreases")
    if np.any(end < start):
        problems.append("a layer ends before it starts")
    if np.any(start[1:][same_iter] != end[:-1][same_iter]):
        problems.append("start_ps != end_ps of the previous layer in the iteration")
    # Between iterations the LM head runs: layer 0 starts at or after the last layer's end.
    if np.any(start[1:][~same_iter] < end[:-1][~same_iter]):
        problems.append("an iteration starts before the previous one ended")
    if start[0] != 0:
        problems.append("the first layer does not start at 0")
    if problems:
        bad_nodes.append(f"node {n}: " + "; ".join(problems))
check(not bad_nodes, "per node, in (iteration, layer) order: end_ps non-decreasing, start_ps == "
      "previous layer's end_ps within an iteration" + ("" if not bad_nodes else ": " + " | ".join(bad_nodes)))

I = {k: f["iterations"][k][()] for k in ("iteration", "start_ps", "end_ps", "decode_tokens")}
check(np.array_equal(I["iteration"], np.arange(iters)), f"/iterations has iterations 0..{iters - 1} in order")
check(bool(np.all(np.diff(I["end_ps"]) > 0)), "/iterations end_ps strictly increasing")
check(bool(np.all(I["end_ps"] > I["start_ps"])), "/iterations end_ps > start_ps")
last_layer_end = [L["end_ps"][L["iteration"] == i].max() for i in range(iters)]
check(bool(np.all(I["end_ps"] >= last_layer_end)), "/iterations end_ps >= the last layer end of the iteration")
check(int(I["decode_tokens"].sum()) == s["output_tokens"], "/iterations decode_tokens sum to output_tokens")
check(int(I["end_ps"][-1]) == s["makespan_ps"], "/summary makespan_ps == the last iteration's end_ps")

R = f["requests"]
check(len(R["request"]) == nodes * batch, f"/requests has nodes x batch = {nodes * batch} rows")
check(int(R["output_tokens"][()].sum()) == s["output_tokens"], "/requests output_tokens sum to output_tokens")

E = f["expert_load"]
n_exp = int(E["expert"][()].max()) + 1
check(len(E["layer"]) % n_exp == 0 and np.array_equal(E["expert"][()][:n_exp], np.arange(n_exp)),
      "/expert_load: one row per (MoE layer, expert), layer-major")
# Every dispatched (token, expert) pair is counted once: no token lost or duplicated.
check(int(E["tokens"][()].sum()) == s["records_dispatched"],
      "/expert_load tokens sum to records_dispatched (no warm-up here)")
check(bool(np.all(E["replicas"][()] >= 1)), "/expert_load: every expert has a copy")
sys.exit(1 if errors else 0)
EOF

passed
