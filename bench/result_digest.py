#!/usr/bin/env python3
"""One line per object of a sievesim result file: its path and a SHA-256 of its data and
attributes, leaving out what describes the run rather than the result (date, wall time, git
revision, command line, rank layout). The resolved configuration (`config` attributes) is hashed
as YAML data, so the order in which the simulator happened to read its keys does not count. Two
runs whose digests match computed the same results;
`diff` of two digest files names the objects that differ.

usage: result_digest.py FILE.h5 [FILE.h5 ...]   (lines prefixed with the file name when several)
"""
import hashlib
import sys

import json

import h5py
import numpy as np
import yaml

# Root attributes that say how and when a run happened, not what it computed.
RUN_ATTRS = {"command_line", "config_file", "date", "git_revision", "nodes_per_rank", "ranks",
             "software", "version", "wall_time_s"}


def value_bytes(v):
    if isinstance(v, bytes):
        return v
    if isinstance(v, str):
        return v.encode()
    a = np.asarray(v)
    if a.dtype.kind == "O":
        return repr(a.tolist()).encode()
    return a.dtype.str.encode() + a.tobytes()


def digest(path, prefix=""):
    lines = []

    def attrs_hash(h, obj, skip):
        for k in sorted(obj.attrs):
            if k in skip:
                continue
            h.update(k.encode())
            h.update(canonical(k, obj.attrs[k]))

    def canonical(k, v):
        if k != "config":
            return value_bytes(v)
        text = v.decode() if isinstance(v, bytes) else str(v)
        return json.dumps(yaml.safe_load(text), sort_keys=True).encode()

    with h5py.File(path, "r") as f:
        h = hashlib.sha256()
        attrs_hash(h, f, RUN_ATTRS)
        lines.append(f"{prefix}/ {h.hexdigest()[:16]}")

        def visit(name, obj):
            h = hashlib.sha256()
            attrs_hash(h, obj, set())
            if isinstance(obj, h5py.Dataset):
                h.update(value_bytes(obj[()]))
            lines.append(f"{prefix}/{name} {h.hexdigest()[:16]}")

        f.visititems(visit)
    return lines


def main():
    files = sys.argv[1:]
    if not files:
        print(__doc__, file=sys.stderr)
        return 2
    for p in files:
        print("\n".join(digest(p, p + ":" if len(files) > 1 else "")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
