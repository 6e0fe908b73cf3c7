# The simulated results depend only on the configuration and the seed, never on how the
# simulated nodes are spread over MPI ranks: the quickstart on 4 ranks, on 1 rank hosting all
# 4 nodes and on 2 ranks must give identical /layers, /iterations, /summary and /requests
# (data and attributes). The same seed twice gives the same file; another seed does not.
# usage: bash test_rank_independence.sh SIEVESIM_BINARY SOURCE_DIR WORK_DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" "$@"

TABLES=(/layers /iterations /summary /requests)

# same_tables A.h5 B.h5: h5diff finds no difference in any table (common.sh).
same_tables() { same_groups "$1" "$2" "${TABLES[@]}"; }

# layout FILE RANKS NODES_PER_RANK: the file records the rank layout it was computed with
# (so the comparisons above really compare different layouts).
layout() {
  local r n
  r=$(h5attr "$1" / ranks)
  n=$(h5attr "$1" / nodes_per_rank)
  [[ $r == "$2" && $n == "$3" ]] ||
    fail "$1: ranks x nodes_per_rank is $r x $n, expected $2 x $3"
  ok "$1 was computed on $2 rank(s) x $3 node(s) per rank"
}

step "quickstart as shipped on 4 ranks, on 1 rank x 4 nodes, on 2 ranks"
must_succeed "mpirun -np 4 run quickstart -o np4.h5" \
  mpirun_np 4 "$SIEVESIM" run "$QUICKSTART" -o np4.h5 -q
must_succeed "run quickstart --nodes-per-rank 4 -o np1.h5" \
  "$SIEVESIM" run "$QUICKSTART" --nodes-per-rank 4 -o np1.h5 -q
must_succeed "mpirun -np 2 run quickstart -o np2.h5" \
  mpirun_np 2 "$SIEVESIM" run "$QUICKSTART" -o np2.h5 -q
for f in np4.h5 np1.h5 np2.h5; do
  [[ -f $f && ! -e $f.partial ]] || fail "$f missing or $f.partial left behind"
done
layout np4.h5 4 1
layout np1.h5 1 4
layout np2.h5 2 2

step "results do not depend on the rank layout"
same_tables np4.h5 np1.h5
same_tables np4.h5 np2.h5
same_tables np1.h5 np2.h5

step "same seed twice on 1 rank (4 iterations): identical"
must_succeed "run --max-iterations 4 -o rep1.h5" \
  "$SIEVESIM" run "$QUICKSTART" --nodes-per-rank 4 --max-iterations 4 -o rep1.h5 -q
must_succeed "run --max-iterations 4 -o rep2.h5" \
  "$SIEVESIM" run "$QUICKSTART" --nodes-per-rank 4 --max-iterations 4 -o rep2.h5 -q
same_tables rep1.h5 rep2.h5

step "another seed (--seed 2) changes /layers"
must_succeed "run --max-iterations 4 --seed 2 -o seed2.h5" \
  "$SIEVESIM" run "$QUICKSTART" --nodes-per-rank 4 --max-iterations 4 --seed 2 -o seed2.h5 -q
rc=0
h5diff -q rep1.h5 seed2.h5 /layers /layers >h5diff.out 2>&1 || rc=$?
[[ $rc -eq 1 ]] || { show h5diff.out >&2; fail "h5diff /layers of seeds 1 and 2 exited $rc, expected 1 (differ)"; }
ok "/layers of seed 1 and seed 2 differ"
[[ $(h5attr seed2.h5 /summary iterations) == 4 ]] || fail "seed2.h5: /summary iterations is not 4"
ok "--max-iterations 4 took effect"

step "Sieve's token split and decide-ahead, and affinity placement: identical on 1, 2 and 4 ranks"
beyond=(-p scheduler.name=sieve -p scheduler.sieve.split=token -p scheduler.sieve.decide=ahead
  -p placement.policy=affinity --max-iterations 6 -q)
must_succeed "beyond, 1 rank" "$SIEVESIM" run "$QUICKSTART" --nodes-per-rank 4 -o b1.h5 "${beyond[@]}"
must_succeed "beyond, 2 ranks" mpirun_np 2 "$SIEVESIM" run "$QUICKSTART" -o b2.h5 "${beyond[@]}"
must_succeed "beyond, 4 ranks" mpirun_np 4 "$SIEVESIM" run "$QUICKSTART" -o b4.h5 "${beyond[@]}"
same_tables b1.h5 b2.h5
same_tables b1.h5 b4.h5

passed
