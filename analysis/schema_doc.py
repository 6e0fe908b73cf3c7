#!/usr/bin/python3
"""Prints the HDF5 result schema of sievesim as markdown (docs/hdf5-schema.md), from real files.

The columns, their units and descriptions come from the files (the simulator writes a `units`
and a `description` attribute on every dataset). Attributes carry no description of their own,
so their meanings are kept here, in ROOT_ATTRS, RUNS_ATTRS, RUN_ATTRS and SUMMARY_ATTRS; an
attribute a file has and this script does not describe is printed as UNDOCUMENTED and makes the
exit code 1, so a new attribute cannot slip past the documentation.

  schema_doc.py single.h5 sweep.h5 faults.h5 > docs/hdf5-schema.md      # regenerate
  schema_doc.py --check docs/hdf5-schema.md single.h5 sweep.h5 faults.h5  # exit 1 if stale

Give a single-run file and a file with several runs (--schedulers/--sweep) to cover both layouts.
"""

import argparse
import difflib
import os
import sys

try:
    import h5py
except ImportError:
    sys.exit("schema_doc: error: h5py is missing: apt-get install -y python3-h5py")

ROOT_ATTRS = {
    "software": "always `sievesim`: how tools recognize a result file",
    "version": "sievesim version that wrote the file",
    "git_revision": "source revision the binary was built from",
    "date": "UTC time the run started (ISO 8601)",
    "schema_version": "version of this layout; raised whenever a group, column or attribute "
                      "changes",
    "config": "the resolved experiment (YAML): every key with its value, defaults included; "
              "with several runs, that of the first run",
    "config_file": "the experiment file as given on the command line",
    "model_name": "model name (from the experiment's model config)",
    "model_config_json": "the model's Hugging Face config.json, verbatim",
    "scheduler": "expert scheduler; with `--schedulers`, the comma-separated list",
    "command_line": "the sievesim command line",
    "ranks": "MPI ranks the run used",
    "nodes": "simulated nodes (GPUs)",
    "nodes_per_rank": "simulated nodes hosted by each rank",
    "wall_time_s": "wall-clock seconds the simulation took (all runs; the slowest rank)",
}

RUNS_ATTRS = {
    "baseline": "scheduler the comparison ratios of `sievesim report` are taken against",
    "sweep_key": "the swept dotted key (e.g. `workload.requests.closed.concurrency`); empty "
                 "without a sweep",
}

RUN_ATTRS = {
    "scheduler": "expert scheduler of this run",
    "sweep_value": "value of the swept key in this run, as text; empty without a sweep",
    "config": "this run's resolved experiment (YAML)",
}

# Group attributes every table has.
TABLE_ATTRS = {
    "description": "what one row is",
    "rows": "number of rows, the length of every column",
}

SUMMARY_ATTRS = {
    "description": ("", "the text `headline figures; units are in the attribute names`"),
    "nodes": ("1", "simulated nodes (GPUs)"),
    "iterations": ("1", "iterations run, warm-up included"),
    "warmup_iterations": ("1", "first iterations left out of every metric"),
    "requests": ("1", "requests in the workload"),
    "requests_finished": ("1", "requests finished when the run stopped"),
    "output_tokens": ("1", "output tokens emitted after the warm-up, all nodes"),
    "prefill_tokens": ("1", "prompt tokens processed after the warm-up, all nodes"),
    "makespan_ps": ("ps", "end of the last iteration"),
    "window_ps": ("ps", "the measured part: from the start of the first iteration after the "
                        "warm-up to the makespan"),
    "mean_iteration_ps": ("ps", "mean iteration time over the measured iterations"),
    "throughput_tokens_per_s": ("tokens/s", "output_tokens / window"),
    "throughput_tokens_per_s_per_gpu": ("tokens/s/GPU", "throughput_tokens_per_s / nodes"),
    "interactivity_tokens_per_s_per_user": (
        "tokens/s/user", "1 / tpot_mean (with no TPOT measured, 1 / mean_iteration)"),
    "records_dispatched": ("1", "(token, expert) records sent by dispatch, all layers and nodes"),
    "records_combined": ("1", "(token, expert) records returned by combine; equals "
                              "records_dispatched"),
    "energy_gpu_compute_J": ("J", "GPU arithmetic over the window, all nodes (docs/energy.md)"),
    "energy_gpu_hbm_J": ("J", "HBM traffic of the GPU kernels over the window, all nodes"),
    "energy_pim_J": ("J", "PIM commands over the window, all nodes"),
    "energy_link_J": ("J", "dispatch and combine bytes on the links over the window"),
    "energy_static_J": ("J", "every GPU board's idle power over the whole window, busy or not"),
    "energy_refresh_J": ("J", "the PIM stacks' refresh: the stacks' share of energy_static_J"),
    "energy_total_J": ("J", "compute + HBM + PIM + links + static"),
    "joules_per_output_token": ("J/token", "energy_total_J / output_tokens"),
    "output_tokens_per_joule": ("tokens/J", "output_tokens / energy_total_J"),
    "power_per_gpu_W": ("W", "mean over the window of one GPU: its compute, HBM traffic and "
                             "static power less the stacks' refresh"),
    "power_per_pim_stack_W": ("W", "mean over the window of one PIM stack: its commands and "
                                   "refresh"),
    "peak_power_per_node_W": ("W", "highest mean power of a node over one measured iteration "
                                   "(links included)"),
    "pim_stacks_per_node": ("1", "PIM stacks each GPU carries"),
    "records_dropped": ("1", "with `faults:` only: (token, expert) pairs routed to an expert no "
                             "node held (its last copy failed, not re-placed), never dispatched"),
    "requests_requeued": ("1", "with `faults:` only: requests a failed node held, restarted on "
                               "a survivor"),
    "requests_dropped": ("1", "with `faults:` only: requests a failed node held, dropped "
                              "(`faults.on_failure: drop`); finished + dropped = requests"),
}

# ttft/tpot/e2e share one pattern: <metric>_{mean,p50,p90,p99}_ps and <metric>_count.
LATENCY_METRICS = {
    "ttft": "time to first token (arrival to first token) of the requests admitted after the "
            "warm-up",
    "tpot": "time per output token of each request: from its first to its last token after "
            "the warm-up, divided by the tokens in between (requests with two such tokens or "
            "more)",
    "e2e": "end-to-end latency (arrival to finish) of the requests admitted after the warm-up "
           "that finished",
}
STATS = {"mean": "mean", "p50": "median", "p90": "90th percentile", "p99": "99th percentile"}

# Facts about tables the files do not say themselves.
TABLE_NOTES = {
    "iterations": "Per iteration, summed (or min/max for times) over all nodes.",
    "layers": "Written only with `output.layers: true` (the default). Rows are node-major: "
              "node, then iteration, then layer, then micro-batch (`system.micro_batches: 2` "
              "gives each layer a row per micro-batch, on that micro-batch's own clock). The "
              "five instants split a layer's critical path into attention, dispatch, experts "
              "and combine; busy and idle times are per-layer totals (with micro-batches, of "
              "the row's micro-batch: the other one may use the idle time).",
    "requests": "One row per request of the workload, also those never admitted (-1 marks "
                "what did not happen).",
    "placement": "Row 0 is the initial placement; one more row per re-placement "
                 "(`placement.rebalance_every`).",
    "expert_load": "MoE layers only, layer-major, every routed expert of the model "
                   "(idle ones with 0 tokens).",
    "faults": "Written only with a `faults:` section. One row per failure or rejoin, in time "
              "order; the weight moves of a boundary are on its first row.",
}
TABLE_ORDER = ["iterations", "layers", "requests", "placement", "expert_load", "faults"]

class InputError(Exception):
    """A file that is not a usable sievesim result: one line, exit code 2."""


UNDOCUMENTED = "UNDOCUMENTED (describe it in analysis/schema_doc.py)"


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def type_name(value):
    """The HDF5 type of an attribute or dataset, in words."""
    dtype = value.dtype if hasattr(value, "dtype") else None
    if isinstance(value, (bytes, str)) or (dtype is not None and dtype.kind in "SUO"):
        return "string"
    return str(dtype) if dtype is not None else type(value).__name__


class Schema:
    """Everything the files contain, merged over files and runs."""

    def __init__(self):
        self.root, self.runs, self.run, self.summary = {}, {}, {}, {}
        self.tables = {}  # name -> {"description", "attrs": {}, "columns": {col: (type, u, d)}}
        self.schema_versions = set()

    def add_file(self, path):
        with h5py.File(path, "r") as f:
            if text(f.attrs.get("software", "")) != "sievesim":
                raise InputError(f"{path}: not a sievesim result file")
            self.schema_versions.add(int(f.attrs["schema_version"]))
            add_attrs(self.root, f)
            if "runs" in f:
                add_attrs(self.runs, f["runs"])
                for g in f["runs"].values():
                    add_attrs(self.run, g)
                    self.add_run(path, g)
            else:
                self.add_run(path, f)

    def add_run(self, path, g):
        for name, obj in g.items():
            if name == "runs" or not isinstance(obj, h5py.Group):
                continue
            if name == "summary":
                add_attrs(self.summary, obj)
                continue
            t = self.tables.setdefault(name, {"attrs": {}, "columns": {}})
            add_attrs(t["attrs"], obj)
            t["description"] = text(obj.attrs.get("description", ""))
            for col, ds in obj.items():
                info = (type_name(ds), text(ds.attrs.get("units", "")),
                        text(ds.attrs.get("description", "")))
                old = t["columns"].setdefault(col, info)
                if old != info:
                    raise InputError(f"{path}: {g.name}/{name}/{col} is {info}, elsewhere "
                                     f"{old}")


def add_attrs(into, obj):
    for k, v in obj.attrs.items():
        into.setdefault(k, type_name(v))


def summary_meaning(name):
    """(units, meaning) of a /summary attribute, or None if this script does not know it."""
    if name in SUMMARY_ATTRS:
        return SUMMARY_ATTRS[name]
    metric, _, rest = name.partition("_")
    if metric in LATENCY_METRICS:
        if rest == "count":
            return ("1", f"requests measured for {metric}: {LATENCY_METRICS[metric]}")
        stat = rest[:-3] if rest.endswith("_ps") else None
        if stat in STATS:
            return ("ps", f"{STATS[stat]} of {metric} over the {metric}_count requests")
    return None


class Markdown:
    def __init__(self):
        self.lines, self.undocumented = [], []

    def add(self, *lines):
        self.lines.extend(lines)

    def table(self, header, rows):
        self.add("| " + " | ".join(header) + " |", "|" + "---|" * len(header))
        for r in rows:
            self.add("| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |")
        self.add("")

    def attr_rows(self, where, attrs, meanings):
        rows = []
        for name in sorted(attrs):
            meaning = meanings.get(name)
            if meaning is None:
                self.undocumented.append(f"{where} attribute {name}")
                meaning = UNDOCUMENTED
            rows.append([f"`{name}`", attrs[name], meaning])
        return rows


def render(s):
    md = Markdown()
    version = ", ".join(str(v) for v in sorted(s.schema_versions))
    md.add(f"# sievesim HDF5 result schema (schema_version {version})", "",
           "<!-- Generated by analysis/schema_doc.py from result files of `sievesim run`; do not",
           "edit by hand. Column units and descriptions come from the files, the meanings of",
           "attributes and the notes from analysis/schema_doc.py. tests/cli/test_schema_doc.sh",
           "fails when this file and a fresh result disagree. -->", "",
           "Regenerate (from the source tree, with `sievesim` on PATH):", "", "```sh",
           "sievesim run configs/quickstart.yaml -q --max-iterations 2 -o single.h5",
           "sievesim run configs/quickstart.yaml -q --max-iterations 2 --schedulers pimoe,sieve \\",
           "    --sweep workload.requests.closed.concurrency=8,16 -o sweep.h5",
           "sievesim run configs/quickstart.yaml -q --max-iterations 3 \\",
           "    -p 'faults.fail_nodes=[1]' -p 'faults.fail_at_iteration=[0]' -o faults.h5",
           "analysis/schema_doc.py single.h5 sweep.h5 faults.h5 > docs/hdf5-schema.md", "```",
           "")
    md.add("## Layout", "",
           "A result holds one run, with its groups at the root, or several runs (`run",
           "--schedulers A,B`, `--sweep KEY=V1,V2`, or both), each under `/runs/<name>`:", "",
           "```",
           "one run:",
           "/                     root attributes (below)",
           "/summary              headline figures, attributes only",
           "/<table>              " + ", ".join(f"/{t}" for t in ordered_tables(s)),
           "",
           "several runs:",
           "/                     root attributes",
           "/runs                 attributes baseline, sweep_key",
           "/runs/<name>          attributes scheduler, sweep_value, config;",
           "                      /summary and the tables, as at the root of a single run",
           "```", "",
           "`<name>` is the scheduler (`sieve`), the swept value (`concurrency=64`) or both",
           "(`sieve@concurrency=64`). A table is a group of equal-length 1-D datasets, one per",
           "column; every dataset has a `units` and a `description` attribute. Strings are",
           "fixed-length UTF-8 (h5py returns them as `bytes`). Times are integer picoseconds",
           "on the simulated clock; units `1` mean a count or an index, `B` bytes, `1/1000`",
           "per mille. Read a table with h5py: `{k: f['layers'][k][:] for k in f['layers']}`.",
           "")
    md.add("## Root attributes", "")
    md.table(["attribute", "type", "meaning"], md.attr_rows("root", s.root, ROOT_ATTRS))
    md.add("## /runs (files with several runs)", "")
    md.table(["attribute", "type", "meaning"], md.attr_rows("/runs", s.runs, RUNS_ATTRS))
    md.add("### /runs/&lt;name&gt;", "")
    md.table(["attribute", "type", "meaning"], md.attr_rows("/runs/<name>", s.run, RUN_ATTRS))
    md.add("## /summary", "",
           "A group with attributes only; the units are also in the names (`_ps`, `_per_s`).",
           "The latency figures are over requests; `<metric>_count` says how many (0: the",
           "figures are 0).", "")
    rows = []
    for name in sorted(s.summary):
        um = summary_meaning(name)
        if um is None:
            md.undocumented.append(f"/summary attribute {name}")
            um = ("?", UNDOCUMENTED)
        rows.append([f"`{name}`", s.summary[name], um[0], um[1]])
    md.table(["attribute", "type", "units", "meaning"], rows)
    md.add("## Tables", "",
           "Every table group has the attributes "
           + ", ".join(f"`{k}` ({v})" for k, v in TABLE_ATTRS.items()) + ".", "")
    for name in ordered_tables(s):
        t = s.tables[name]
        md.add(f"### /{name}: {t['description']}", "")
        if name in TABLE_NOTES:
            md.add(TABLE_NOTES[name], "")
        extra = sorted(set(t["attrs"]) - set(TABLE_ATTRS))
        for a in extra:
            md.undocumented.append(f"/{name} attribute {a}")
            md.add(f"Attribute `{a}`: {UNDOCUMENTED}", "")
        md.table(["column", "type", "units", "meaning"],
                 [[f"`{c}`", ty, u, d] for c, (ty, u, d) in sorted(t["columns"].items())])
    return "\n".join(md.lines).rstrip() + "\n", md.undocumented


def ordered_tables(s):
    known = [t for t in TABLE_ORDER if t in s.tables]
    return known + sorted(t for t in s.tables if t not in TABLE_ORDER)


def check(doc_path, generated):
    """Exit status 0 if doc_path is exactly what the files generate, else 1 with the news."""
    try:
        with open(doc_path) as fh:
            doc = fh.read()
    except OSError as e:
        print(f"schema_doc: error: {doc_path}: {e.strerror}", file=sys.stderr)
        return 1
    if doc == generated:
        return 0
    # Name what a reader would miss first: items of the file the doc does not mention.
    names = {line.split("|")[1].strip() for line in generated.splitlines()
             if line.startswith("| `")}
    missing = sorted(n for n in names if n not in doc)
    for n in missing:
        print(f"schema_doc: {doc_path} does not document {n}", file=sys.stderr)
    diff = list(difflib.unified_diff(doc.splitlines(), generated.splitlines(),
                                     doc_path, "generated from the result files", lineterm=""))
    print("\n".join(diff[:60]), file=sys.stderr)
    print(f"schema_doc: {doc_path} is stale: regenerate it (see its header)", file=sys.stderr)
    return 1


def main():
    p = argparse.ArgumentParser(
        prog="schema_doc.py", description=__doc__.split("\n\n")[0],
        epilog="Give a single-run result and one with several runs to cover both layouts.")
    p.add_argument("files", nargs="+", metavar="FILE", help="sievesim result files")
    p.add_argument("--check", metavar="DOC.md",
                   help="compare DOC.md with what the files generate instead of printing; "
                        "exit 1 if they differ")
    args = p.parse_args()
    s = Schema()
    try:
        for path in args.files:
            if not os.path.exists(path):
                raise InputError(f"{path}: no such result file")
            try:
                s.add_file(path)
            except OSError:
                raise InputError(f"{path}: not an HDF5 file") from None
    except InputError as e:
        print(f"schema_doc: error: {e}", file=sys.stderr)
        return 2
    generated, undocumented = render(s)
    for u in undocumented:
        print(f"schema_doc: {u} is not described in analysis/schema_doc.py", file=sys.stderr)
    if args.check:
        return check(args.check, generated) or (1 if undocumented else 0)
    sys.stdout.write(generated)
    return 1 if undocumented else 0


if __name__ == "__main__":
    sys.exit(main())
