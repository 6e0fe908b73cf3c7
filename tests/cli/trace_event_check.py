#!/usr/bin/env python3
"""Checks a Chrome trace-event JSON file (what `sievesim timeline` writes) against the format
ui.perfetto.dev and chrome://tracing load, and that the slices of every track nest.

usage: trace_event_check.py TRACE.json [SUMMARY.json]

Format (the "JSON object" form of the Trace Event Format): an object whose `traceEvents` is a
list of events; every event has a non-empty string `name`, `ph` and an integer `pid`.
  ph "X" (complete event): numbers `ts` and `dur` (microseconds) >= 0, integer `tid`, `args` an
         object if present.
  ph "M" (metadata): name process_name / thread_name (args.name a string) or process_sort_index /
         thread_sort_index (args.sort_index an integer); thread_* ones carry an integer `tid`.
Every track (pid, tid) with slices is named (thread_name) and every process (process_name).
On a track, two slices either nest or are disjoint: none starts inside another and ends after it
(times compared in whole nanoseconds, the resolution sievesim writes).

Exit 0 when the file passes (and SUMMARY.json, if given, gets the per-track slice counts and the
layer slices found, for the calling test); else 1 with one line per problem (at most 20).
"""
import json
import sys
from collections import defaultdict

METADATA = {"process_name": "name", "thread_name": "name",
            "process_sort_index": "sort_index", "thread_sort_index": "sort_index"}


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and v == v and v not in (float("inf"), float("-inf")))


def check(trace):
    problems = []
    if not isinstance(trace, dict) or not isinstance(trace.get("traceEvents"), list):
        return ["top level: expected an object with a 'traceEvents' list"], None
    named_procs, named_tracks = set(), set()
    tracks = defaultdict(list)
    for i, e in enumerate(trace["traceEvents"]):
        where = f"event {i}"
        if not isinstance(e, dict):
            problems.append(f"{where}: not an object")
            continue
        name, ph, pid = e.get("name"), e.get("ph"), e.get("pid")
        if not isinstance(name, str) or not name:
            problems.append(f"{where}: 'name' must be a non-empty string")
        if not is_int(pid):
            problems.append(f"{where}: 'pid' must be an integer")
        if ph == "M":
            key = METADATA.get(name)
            args = e.get("args")
            if key is None:
                problems.append(f"{where}: unknown metadata event '{name}'")
                continue
            value = args.get(key) if isinstance(args, dict) else None
            if not (isinstance(value, str) if key == "name" else is_int(value)):
                problems.append(f"{where}: {name} needs args.{key}")
            if name.startswith("thread_"):
                if not is_int(e.get("tid")):
                    problems.append(f"{where}: {name} needs an integer 'tid'")
                elif name == "thread_name":
                    named_tracks.add((pid, e["tid"]))
            elif name == "process_name":
                named_procs.add(pid)
        elif ph == "X":
            ts, dur, tid = e.get("ts"), e.get("dur"), e.get("tid")
            if not is_number(ts) or ts < 0:
                problems.append(f"{where} ({name}): 'ts' must be a number >= 0, got {ts!r}")
                continue
            if not is_number(dur) or dur < 0:
                problems.append(f"{where} ({name}): 'dur' must be a number >= 0, got {dur!r}")
                continue
            if not is_int(tid):
                problems.append(f"{where} ({name}): 'tid' must be an integer")
                continue
            if "args" in e and not isinstance(e["args"], dict):
                problems.append(f"{where} ({name}): 'args' must be an object")
            begin = round(ts * 1000)
            tracks[(pid, tid)].append((begin, begin + round(dur * 1000), name, e.get("args", {})))
        else:
            problems.append(f"{where}: 'ph' must be 'X' or 'M', got {ph!r}")
    for (pid, tid), slices in sorted(tracks.items()):
        if pid not in named_procs:
            problems.append(f"process {pid}: no process_name")
        if (pid, tid) not in named_tracks:
            problems.append(f"track ({pid}, {tid}): no thread_name")
        # Longer first at equal starts: a parent precedes its children.
        stack = []
        for begin, end, name, _ in sorted(slices, key=lambda s: (s[0], -s[1])):
            while stack and stack[-1][1] <= begin:
                stack.pop()
            if stack and end > stack[-1][1]:
                problems.append(f"track ({pid}, {tid}): '{name}' [{begin}, {end}] ns overlaps "
                                f"'{stack[-1][2]}' [{stack[-1][0]}, {stack[-1][1]}] ns partially")
            stack.append((begin, end, name))
    summary = {
        "tracks": {f"{pid}/{tid}": len(s) for (pid, tid), s in tracks.items()},
        "layers": [[pid, a.get("iteration"), a.get("layer"), b] for (pid, tid), s in tracks.items()
                   for b, _, n, a in s if n.startswith("layer ")],
    }
    return problems, summary


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1]) as f:
            trace = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{sys.argv[1]}: not JSON: {e}")
        return 1
    problems, summary = check(trace)
    for p in problems[:20]:
        print(f"{sys.argv[1]}: {p}")
    if problems:
        return 1
    if len(sys.argv) == 3:
        with open(sys.argv[2], "w") as f:
            json.dump(summary, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
