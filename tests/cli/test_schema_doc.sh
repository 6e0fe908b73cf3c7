#!/usr/bin/env bash
# docs/hdf5-schema.md cannot drift from the code: fresh result files (one run; several runs)
# must regenerate it exactly (analysis/schema_doc.py --check), and, checked here without the
# generator, it must name every group, dataset and attribute those files have, with each
# column's units.
source "$(dirname "$0")/common.sh" "$@"
need_python
DOC=$SRC/docs/hdf5-schema.md
GEN=$SRC/analysis/schema_doc.py
[[ -f $DOC ]] || fail "docs/hdf5-schema.md is missing"

step "fresh results, as in the header of docs/hdf5-schema.md"
must_succeed "single run" "$SIEVESIM" run "$QUICKSTART" -q --max-iterations 2 -o single.h5
must_succeed "several runs" "$SIEVESIM" run "$QUICKSTART" -q --max-iterations 2 \
  --schedulers pimoe,sieve --sweep workload.requests.closed.concurrency=8,16 -o sweep.h5
must_succeed "a run with a node failure" "$SIEVESIM" run "$QUICKSTART" -q --max-iterations 3 \
  -p 'faults.fail_nodes=[1]' -p 'faults.fail_at_iteration=[0]' -o faults.h5

step "the doc is what the files generate"
rc=0
"$PY" "$GEN" --check "$DOC" single.h5 sweep.h5 faults.h5 >check.out 2>check.err || rc=$?
if [[ $rc -ne 0 ]]; then
  sed -n '1,40s/^/      | /p' check.err >&2
  fail "docs/hdf5-schema.md is stale (exit $rc): regenerate it as its header says" \
    "(analysis/schema_doc.py single.h5 sweep.h5 faults.h5 > docs/hdf5-schema.md)"
fi
ok "schema_doc.py --check"

step "every object of the files is in the doc (checked without the generator)"
# doc_covers DOC: every group, column (with its units) and attribute of the fresh files is a row
# of DOC's tables, in the right section.
doc_covers() {
  "$PY" - "$1" single.h5 sweep.h5 faults.h5 <<'PY'
import re, sys
import h5py
doc = open(sys.argv[1]).read()
# Markdown table rows by section: "### /layers: ..." -> {"`col`": "| `col` | type | units | ..."}
sections, current = {}, None
for line in doc.splitlines():
    m = re.match(r"#+ (/\S+?):? ", line + " ")
    if line.startswith("#"):
        current = m[1] if m else line.strip("# ")
    if line.startswith("| `"):
        sections.setdefault(current, {})[line.split("|")[1].strip()] = line
missing = {}  # ordered, each once (the runs of a file repeat the tables)
def need(section, name, units=None):
    row = sections.get(section, {}).get(f"`{name}`")
    if row is None:
        missing[f"{section}: {name}"] = 1
    elif units is not None and f"| {units} |" not in row:
        missing[f"{section}: {name} without its units '{units}'"] = 1
def tables(path, g):
    for name, t in g.items():
        if name == "runs" or not isinstance(t, h5py.Group):
            continue
        if name == "summary":
            for a in t.attrs:
                need("/summary", a)
            continue
        for a in t.attrs:  # description, rows: listed once for all tables
            if f"`{a}`" not in doc:
                missing[f"/{name} attribute {a}"] = 1
        for col, ds in t.items():
            need(f"/{name}", col, ds.attrs["units"].decode())
for path in sys.argv[2:]:
    with h5py.File(path, "r") as f:
        for a in f.attrs:
            need("Root attributes", a)
        if "runs" in f:
            for a in f["runs"].attrs:
                need("/runs", a)
            for g in f["runs"].values():
                for a in g.attrs:
                    need("/runs/&lt;name&gt;", a)
                tables(path, g)
        else:
            tables(path, f)
for m in missing:
    print(f"    not documented: {m}")
if not missing:
    n = sum(len(v) for v in sections.values())
    print(f"    {n} documented names; every column and attribute of the files among them")
sys.exit(1 if missing else 0)
PY
}
doc_covers "$DOC" || fail "the doc misses objects of a fresh result (above)"
ok "columns with their units, /summary, root, /runs and /runs/<name> attributes"

step "both checks fail on a stale doc"
# shellcheck disable=SC2016  # the backquotes are markdown, not command substitution
sed -e '/^| `tokens_pim`/d' -e 's/^| `bytes_sent` | int64 | B |/| `bytes_sent` | int64 | kB |/' \
  "$DOC" >stale.md
cmp -s stale.md "$DOC" && fail "the stale copy equals the doc: the sed patterns are out of date"
rc=0
"$PY" "$GEN" --check stale.md single.h5 sweep.h5 faults.h5 >/dev/null 2>stale.err || rc=$?
[[ $rc -eq 1 ]] || fail "--check of a stale doc: exit $rc, expected 1"
# shellcheck disable=SC2016
contains stale.err 'does not document `tokens_pim`' "--check names the missing column"
ok "--check: exit 1"
doc_covers stale.md >covers.out && fail "the direct check accepted a doc without a column"
contains covers.out "/layers: tokens_pim" "the direct check names the missing column"
contains covers.out "/layers: bytes_sent without its units 'B'" "the direct check sees wrong units"
ok "the direct check: missing column and wrong units found"
rc=0
"$PY" "$GEN" single.h5 missing.h5 >/dev/null 2>err.txt || rc=$?
if [[ $rc -ne 2 ]] || ! grep -q "missing.h5: no such result file" err.txt; then
  show err.txt >&2
  fail "a missing file must be exit 2, got $rc"
fi
ok "a missing file: exit 2"
passed
