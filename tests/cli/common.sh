# Shared setup and assertions of the tests/cli/test_*.sh drivers; source it with the script's
# arguments:   source "$(dirname "$0")/common.sh" "$@"
# CTest runs each driver as `bash SCRIPT SIEVESIM_BINARY SOURCE_DIR WORK_DIR`. After sourcing:
#   SIEVESIM  the executable (absolute path)     SRC   the source tree (absolute path)
#   WORK      the cleared work directory, also the current directory
#   MPIEXEC   mpiexec (from the environment, default: mpiexec on PATH)
#   PY        a python3 that can import h5py and numpy
# Every check prints one line; the first failure prints "FAIL: ..." and exits 1.
# shellcheck disable=SC2034  # the variables are for the scripts that source this file
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: bash ${0##*/} SIEVESIM_BINARY SOURCE_DIR WORK_DIR" >&2
  exit 2
fi
[[ -x $1 ]] || { echo "FAIL: sievesim binary '$1' is not executable" >&2; exit 1; }
[[ -f $2/configs/quickstart.yaml ]] || { echo "FAIL: '$2' is not the sievesim source tree" >&2; exit 1; }
case $3 in "" | / | . | ..) echo "FAIL: refusing to use '$3' as work directory" >&2; exit 1 ;; esac

SIEVESIM=$(realpath "$1")
SRC=$(realpath "$2")
rm -rf -- "$3"
mkdir -p -- "$3"
WORK=$(realpath "$3")
cd "$WORK"
MPIEXEC=${MPIEXEC:-$(command -v mpiexec || true)}
QUICKSTART=$SRC/configs/quickstart.yaml
TEST_NAME=${0##*/}
SECONDS=0

step() { echo "--- $*"; }
ok() { echo "    ok: $*"; }
fail() {
  echo "FAIL [$TEST_NAME]: $*" >&2
  exit 1
}
# Prints the first lines of a captured stream, indented, for failure messages.
show() { sed -n '1,15s/^/      | /p' "$1"; }

# mpirun_np N CMD...: CMD under mpiexec on N ranks (oversubscribed: the machines are small).
mpirun_np() {
  [[ -n $MPIEXEC ]] || fail "MPIEXEC is not set and mpiexec is not on PATH"
  local np=$1
  shift
  "$MPIEXEC" --oversubscribe -np "$np" "$@"
}

# must_succeed DESCRIPTION CMD...: runs CMD with stdout/stderr in $WORK/last.{out,err}; fails
# unless it exits 0.
must_succeed() {
  local what=$1 rc=0
  shift
  "$@" >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "stderr of: $*" >&2
    show "$WORK/last.err" >&2
    fail "$what: exit code $rc, expected 0"
  fi
  ok "$what"
}

# contains FILE TEXT DESCRIPTION: the file has TEXT (fixed string) somewhere.
contains() {
  grep -qF -- "$2" "$1" || { show "$1" >&2; fail "$3: '$2' not found in ${1##*/}"; }
}

# A python3 with h5py (the pyenv python3 on PATH may lack it; the system one has it).
PY=
for p in ${SIEVESIM_PYTHON:-} python3 /usr/bin/python3; do
  if "$p" -c 'import h5py, numpy' 2>/dev/null; then
    PY=$p
    break
  fi
done
# same_groups A.h5 B.h5 GROUP...: h5diff finds every GROUP identical in both. h5diff exits 0
# also when it finds objects it cannot compare (e.g. attributes of different string types), so
# its "not comparable" notice counts as a difference here.
same_groups() {
  local a=$1 b=$2 g rc
  shift 2
  for g in "$@"; do
    rc=0
    h5diff -c "$a" "$b" "$g" "$g" >h5diff.out 2>&1 || rc=$?
    if [[ $rc -ne 0 ]] || grep -qi "not comparable" h5diff.out; then
      show h5diff.out >&2
      fail "$g differs between $a and $b"
    fi
  done
  ok "$a and $b identical"
}
need_python() { [[ -n $PY ]] || fail "no python3 with h5py and numpy found (set SIEVESIM_PYTHON)"; }

# h5attr FILE OBJECT NAME: prints one HDF5 attribute (strings decoded).
h5attr() {
  need_python
  "$PY" - "$@" <<'EOF'
import sys, h5py
v = h5py.File(sys.argv[1], "r")[sys.argv[2]].attrs[sys.argv[3]]
print(v.decode() if isinstance(v, bytes) else v)
EOF
}

passed() { echo "PASS: $TEST_NAME (${SECONDS} s)"; }
