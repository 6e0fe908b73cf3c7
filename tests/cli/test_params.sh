#!/usr/bin/env bash
# `sievesim params`: every registry's implementations with their parameters (key, type, default,
# range, description), one implementation or preset by name, and an unknown name rejected.
# usage: bash test_params.sh SIEVESIM_BINARY SOURCE_DIR WORK_DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" "$@"

# has_line FILE REGEX DESCRIPTION: some line of FILE matches the extended regular expression.
has_line() {
  grep -qE -- "$2" "$1" || { show "$1" >&2; fail "$3: no line matches '$2'"; }
  ok "$3"
}

step "sievesim params: every registry"
must_succeed "sievesim params" "$SIEVESIM" params
cp last.out all.txt
for title in "Expert schedulers" "Placement policies" "Replica dispatch rules" "Routing sources" \
  "Arrival processes" "Length distributions" "Assignment policies" "GPU presets" "PIM presets" \
  "Fabric presets" "GPU models" "PIM models" "Fabric models"; do
  contains all.txt "== $title (" "a section for the $title"
done
ok "every registry has a section"
has_line all.txt '^zipf  ' "the zipf routing source is listed"
has_line all.txt '^  s +number +1 +\[0, 10\] +Zipf exponent' \
  "zipf's s: type, default, range and description in columns"
has_line all.txt '^  key +type +default +range +description$' "a header row names the columns"
has_line all.txt '^  concurrency +integer +64 +\[1, 16777216\] ' "closed arrivals: concurrency"
has_line all.txt '^  path +string +required +' "a required key says so (csv, trace)"

step "sievesim params NAME: one implementation or preset"
must_succeed "sievesim params h100" "$SIEVESIM" params h100
cp last.out h100.txt
contains h100.txt "== GPU presets (" "h100 is a GPU preset"
has_line h100.txt '^  peak_bf16_tflops +number +989 ' "the preset's values are the defaults"
has_line h100.txt '^  impl +string +kernels ' "the preset names its implementation"
[[ $(grep -c '^== ' h100.txt) -eq 1 ]] || { show h100.txt >&2; fail "params h100 shows other sections"; }
ok "only the h100 preset is shown"
must_succeed "sievesim params uniform" "$SIEVESIM" params uniform
contains last.out "== Routing sources (" "uniform: the routing source"
contains last.out "== Length distributions (" "uniform: the length distribution"

step "sievesim params with an unknown name"
rc=0
"$SIEVESIM" params no-such-thing >bad.out 2>bad.err || rc=$?
[[ $rc -eq 2 ]] || { show bad.err >&2; fail "unknown name: exit code $rc, expected 2"; }
[[ $(wc -l <bad.err) -eq 1 ]] || { show bad.err >&2; fail "unknown name: expected one line on stderr"; }
contains bad.err "error: params: unknown implementation or preset 'no-such-thing'" "names the bad name"
contains bad.err " zipf" "lists the known names"
[[ ! -s bad.out ]] || fail "unknown name: printed something on stdout"
ok "unknown name: exit 2, one line naming it and the known names"

step "sievesim params --help"
must_succeed "params --help" "$SIEVESIM" params --help
contains last.out "range" "the help explains the columns"
contains last.out "NAME" "the help names the argument"

passed
