#!/usr/bin/env bash
# `sievesim run --schedulers`: several schedulers on the identical routing, one result file.
source "$(dirname "$0")/common.sh" "$@"

step "compare three schedulers"
must_succeed "run --schedulers pimoe,sieve,oracle" "$SIEVESIM" run "$QUICKSTART" --max-iterations 2 \
  --schedulers pimoe,sieve,oracle --baseline pimoe -o cmp.h5
contains last.out "comparison (ratios against pimoe)" "comparison table"
grep -Eq '^  pimoe +[0-9.]+ +[0-9.]+ +[0-9.]+ +1\.000 +1\.000$' last.out || { show last.out >&2; fail "the baseline's ratios must be 1.000"; }
ok "the baseline's ratios are 1"
h5dump -H cmp.h5 >header.txt
for g in /runs/pimoe /runs/sieve /runs/oracle; do
  grep -q "GROUP \"${g##*/}\"" header.txt || fail "cmp.h5 lacks $g"
done
ok "one group per scheduler under /runs"

step "each run equals the same scheduler run alone (identical routing)"
must_succeed "run sieve alone" "$SIEVESIM" run "$QUICKSTART" --max-iterations 2 -p scheduler.name=sieve -o sieve.h5 -q
h5diff cmp.h5 sieve.h5 /runs/sieve/layers /layers >/dev/null || fail "/runs/sieve/layers differs from a sieve-only run"
h5diff cmp.h5 sieve.h5 /runs/sieve/summary /summary >/dev/null || fail "/runs/sieve/summary differs from a sieve-only run"
ok "/runs/sieve matches the standalone sieve run"
must_succeed "report on a comparison file" "$SIEVESIM" report cmp.h5
contains last.out "== oracle ==" "report lists every run"

step "bad comparisons"
rc=0
"$SIEVESIM" run "$QUICKSTART" -q --schedulers sieve,pimoe --baseline duplex -o bad.h5 2>err.txt || rc=$?
[[ $rc -eq 2 && ! -e bad.h5 ]] && grep -q -- "--baseline: 'duplex' is not one of --schedulers" err.txt ||
  { show err.txt >&2; fail "a baseline outside the list must be exit 2"; }
ok "baseline outside the list rejected"
rc=0
"$SIEVESIM" run "$QUICKSTART" -q --schedulers sieve,bogus -o bad.h5 2>err.txt || rc=$?
[[ $rc -eq 2 && ! -e bad.h5 ]] && grep -q "unknown scheduler 'bogus'" err.txt ||
  { show err.txt >&2; fail "an unknown scheduler must be exit 2"; }
ok "unknown scheduler rejected before any simulation"
echo "test_compare: all checks passed in ${SECONDS}s"
