#!/usr/bin/env bash
# Bad YAML that parses: a key written twice in one map. yaml-cpp keeps both and a lookup returns
# the first, so `nodes: 4 ... nodes: 8` used to run with 4 without a word. Every command that
# reads an experiment (run, also under mpirun; validate; workload-stats) and every -p value must
# answer with exit 2 and one line naming the file, the dotted key and both lines, and leave no
# result behind. (The built-in hardware presets go through the same check:
# tests/unit/test_yaml_keys.cpp.)
# usage: bash test_bad_inputs_yaml.sh SIEVESIM_BINARY SOURCE_DIR WORK_DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" "$@"

mkdir in
sed "s#^\(  config:\) *\.\./models/#\1 $SRC/models/#" "$QUICKSTART" >in/base.yaml
must_succeed "validate in/base.yaml (the quickstart, model path made absolute)" "$SIEVESIM" validate in/base.yaml

# dup NAME LINE_AFTER TEXT: in/NAME.yaml is base.yaml with TEXT inserted after the first line
# matching LINE_AFTER (a regex); fails if nothing matched.
dup() {
  awk -v pat="$2" -v add="$3" '{ print } !done && $0 ~ pat { print add; done = 1 }' in/base.yaml >"in/$1.yaml"
  [[ $(wc -l <"in/$1.yaml") -gt $(wc -l <in/base.yaml) ]] || fail "dup $1: no line matches '$2'"
}
dup nodes '^  nodes: 4 ' '  nodes: 8'
{ cat in/base.yaml; echo 'scheduler: {name: pimoe}'; } >in/top.yaml
dup flow '^placement:' '  random: {max_replicas: 2, max_replicas: 3}'
dup deep '^      concurrency: 256' '      concurrency: 16'
printf 'sweep:\n  key: workload.requests.closed.concurrency\n  values: [4]\n  key: placement.policy\n' >>in/sweep.yaml
cat in/base.yaml in/sweep.yaml >in/sweep_twice.yaml
line_of() { grep -n -m1 -- "$2" "in/$1.yaml" | cut -d: -f1; }

# bad CASE FRAGMENT... -- CMD...: CMD exits 2 with one stderr line containing "error:" and every
# FRAGMENT (one "error:" line among OpenMPI's under mpirun), and no *.h5* is left in WORK.
bad() {
  local what=$1 frags=() rc=0
  shift
  while [[ $1 != -- ]]; do frags+=("$1"); shift; done
  shift
  "$@" >bad.out 2>bad.err || rc=$?
  local errors
  errors=$(grep -c "error:" bad.err || true)
  [[ $rc -eq 2 && $errors -eq 1 ]] || { show bad.err >&2; fail "$what: exit $rc with $errors error lines, expected exit 2 and 1"; }
  [[ $1 == mpirun_np || $(wc -l <bad.err) -eq 1 ]] || { show bad.err >&2; fail "$what: more than one line on stderr"; }
  local msg f
  msg=$(grep "error:" bad.err)
  for f in "${frags[@]}"; do [[ $msg == *"$f"* ]] || fail "$what: '$f' missing from: $msg"; done
  [[ -z $(find . -maxdepth 1 -name '*.h5*') ]] || fail "$what: left a result file"
  ok "$what  ->  $msg"
}

step "a key twice in an experiment file"
bad "system.nodes twice (run)" "in/nodes.yaml: system.nodes: duplicate key" \
  "(line $(line_of nodes '^  nodes: 4 ') and line $(line_of nodes '^  nodes: 8'))" \
  -- "$SIEVESIM" run in/nodes.yaml -q -o OUT.h5
bad "a top-level section twice" "in/top.yaml: scheduler: duplicate key" -- "$SIEVESIM" run in/top.yaml -q -o OUT.h5
bad "a key twice in a flow map" "in/flow.yaml: placement.random.max_replicas: duplicate key" \
  -- "$SIEVESIM" run in/flow.yaml -q -o OUT.h5
bad "a key twice four levels down" "in/deep.yaml: workload.requests.closed.concurrency: duplicate key" \
  -- "$SIEVESIM" run in/deep.yaml -q -o OUT.h5
bad "the sweep key twice" "in/sweep_twice.yaml: sweep.key: duplicate key" \
  -- "$SIEVESIM" run in/sweep_twice.yaml -q -o OUT.h5
bad "under mpirun on 2 ranks" "in/nodes.yaml: system.nodes: duplicate key" \
  -- mpirun_np 2 "$SIEVESIM" run in/nodes.yaml -q -o OUT.h5
bad "validate" "in/nodes.yaml: system.nodes: duplicate key" -- "$SIEVESIM" validate in/nodes.yaml
bad "workload-stats" "in/deep.yaml: workload.requests.closed.concurrency: duplicate key" \
  -- "$SIEVESIM" workload-stats in/deep.yaml --batch 8

step "a key twice in a -p value"
bad "-p with a key twice in its map" "in/base.yaml: system.gpu.preset: duplicate key in the -p value" \
  -- "$SIEVESIM" run in/base.yaml -q -o OUT.h5 -p 'system.gpu={preset: h100, preset: b200}'
bad "-p nested, validate" "in/base.yaml: workload.requests.closed.concurrency: duplicate key in the -p value" \
  -- "$SIEVESIM" validate in/base.yaml -p 'workload.requests={closed: {concurrency: 4, concurrency: 8}}'
must_succeed "-p with distinct keys still works" "$SIEVESIM" validate in/base.yaml -p 'system.gpu={preset: h100}'
passed
