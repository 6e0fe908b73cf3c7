#!/usr/bin/env bash
# bench/validation: every component table (PIM, GPU, all-to-all) against its public measurements,
# each row within the band its source supports; a row outside its band, a row without a source and
# a malformed table are caught.
source "$(dirname "$0")/common.sh" "$@"
VALIDATE=$SRC/bench/validation/validate.py

step "every component table within its bands"
must_succeed "validate.py --check" "$PY" "$VALIDATE" --sievesim "$SIEVESIM" --check
for c in gpu net pim; do
  grep -q "^## $c: [0-9]* measurements" last.out || { show last.out >&2; fail "no $c table"; }
done
grep -Eq '^\| net \| [0-9]+ \| [0-9.]+% \| [0-9.]+% \|$' last.out || fail "no median/worst summary row for net"
ok "tables for gpu, net and pim with median and worst error"

step "a row outside its band fails the check"
mkdir -p bad
head -n 7 "$SRC/bench/validation/net.csv" >bad/net.csv
# The 1-token NVLink dispatch is 41.6 us; claim 20 us with a 10 % band.
sed -i 's/^"pplx NVLink EP8 dispatch, 1 token per GPU (calibrates dispatch_call_us)",41.6,/"claimed",20,/' bad/net.csv
grep -q '^"claimed",20,' bad/net.csv || fail "could not plant the bad row"
rc=0
"$PY" "$VALIDATE" --sievesim "$SIEVESIM" --dir bad --check >out.txt 2>&1 || rc=$?
[[ $rc -eq 1 ]] || { show out.txt >&2; fail "a row outside its band must exit 1, got $rc"; }
grep -q "claimed: " out.txt || { show out.txt >&2; fail "the failing row must be named"; }
ok "exit 1 naming the row"

step "a row without a source, a bad header"
sed 's/"perplexityai[^"]*"/""/' bad/net.csv >bad/nosrc.csv
rc=0
"$PY" "$VALIDATE" --sievesim "$SIEVESIM" --dir bad nosrc >out.txt 2>&1 || rc=$?
[[ $rc -eq 2 ]] && grep -q "needs a source" out.txt || { show out.txt >&2; fail "a row without a source must exit 2"; }
echo "case,measured" >bad/header.csv
rc=0
"$PY" "$VALIDATE" --sievesim "$SIEVESIM" --dir bad header >out.txt 2>&1 || rc=$?
[[ $rc -eq 2 ]] && grep -q "header must be" out.txt || { show out.txt >&2; fail "a bad header must exit 2"; }
ok "both rejected with exit 2"
echo "test_validation: all checks passed in ${SECONDS}s"
