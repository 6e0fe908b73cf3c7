#!/usr/bin/python3
"""Plots of sievesim HDF5 results: Pareto curves, an iteration timeline, expert loads.

Reads only what `sievesim run` writes (docs/hdf5-schema.md). Uses Debian's python3-h5py,
python3-numpy and python3-matplotlib; the shebang is the system python because those packages
live there, not in a pyenv or venv interpreter that may come first on PATH.
"""

import argparse
import json
import os
import sys

try:
    import h5py
    import numpy as np
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a cluster or in CI
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
except ImportError as e:
    sys.exit(f"sievesim_plots: error: {e.name} is missing: apt-get install -y python3-h5py "
             "python3-numpy python3-matplotlib (scripts/install-deps.sh)")

PROG = "sievesim_plots"
PS_PER_US = 1e6

# Fixed colours per scheduler so that every plot of a study uses the same legend.
SCHEDULER_ORDER = ["gpu-only", "noexp", "allexp", "pimoe", "duplex", "sieve", "oracle"]
PHASE_COLOURS = {"attention": "#4c72b0", "dispatch": "#dd8452", "experts": "#55a868",
                 "dense": "#8172b3", "combine": "#c44e52", "busy": "#303030"}


class InputError(Exception):
    """Bad input (missing file, not a result, unknown run...): one line, exit code 2."""

    def __init__(self, path, message):
        super().__init__(f"{path}: {message}")


# ---------------------------------------------------------------------------------------------
# Reading result files
# ---------------------------------------------------------------------------------------------

def text(value):
    """An HDF5 string attribute as str (h5py returns fixed-length strings as bytes)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def open_result(path):
    """Opens a sievesim result read-only, or raises InputError saying why it is not one."""
    if not os.path.exists(path):
        raise InputError(path, "no such result file")
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise InputError(path, "not an HDF5 file") from None
    if text(f.attrs.get("software", "")) != "sievesim":
        f.close()
        raise InputError(path, "not a sievesim result file (no software=sievesim attribute)")
    return f


class Run:
    """One simulated run: its HDF5 group (the root for a single run, else /runs/<name>)."""

    def __init__(self, path, f, name, group, scheduler, sweep_value, sweep_key, baseline):
        self.path, self.file, self.name, self.group = path, f, name, group
        self.scheduler, self.sweep_value, self.sweep_key = scheduler, sweep_value, sweep_key
        self.baseline = baseline

    def summary(self, key):
        return self.group["summary"].attrs[key]

    def table(self, name, why=""):
        """A table as {column: numpy array}; InputError if this run has none."""
        if name not in self.group:
            raise InputError(self.path, f"run '{self.name}' has no /{name} table{why}")
        return {k: v[:] for k, v in self.group[name].items()}


def sweep_sort_key(value):
    """Orders swept values numerically when they are numbers (as sievesim writes them)."""
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, "" if value is None else str(value))


def runs_of(path, f):
    """Every run of a file, ordered by scheduler and swept value."""
    if "runs" not in f:
        sched = text(f.attrs.get("scheduler", "?"))
        return [Run(path, f, sched, f, sched, None, "", sched)]
    key = text(f["runs"].attrs.get("sweep_key", ""))
    baseline = text(f["runs"].attrs.get("baseline", ""))
    runs = []
    for name, g in f["runs"].items():
        value = text(g.attrs.get("sweep_value", "")) or None
        runs.append(Run(path, f, name, g, text(g.attrs.get("scheduler", name)), value, key,
                        baseline))
    return sorted(runs, key=lambda r: (scheduler_rank(r.scheduler), sweep_sort_key(r.sweep_value)))


def scheduler_rank(name):
    return (SCHEDULER_ORDER.index(name), "") if name in SCHEDULER_ORDER else (99, name)


def pick_run(path, f, name):
    """The run called name; without a name the only run, or for several runs the baseline
    scheduler's run at the largest swept value (the most loaded point, where plots say most)."""
    runs = runs_of(path, f)
    if name is not None:
        for r in runs:
            if r.name == name:
                return r
        raise InputError(path, f"no run '{name}' (runs: {', '.join(r.name for r in runs)})")
    preferred = [r for r in runs if r.scheduler == runs[0].baseline] or runs
    return max(preferred, key=lambda r: sweep_sort_key(r.sweep_value))


def leaf(key):
    """The last part of a dotted key: 'concurrency' for workload.requests.closed.concurrency."""
    return key.rsplit(".", 1)[-1] if key else ""


def save(fig, out):
    """Writes a figure as PNG, creating the directory."""
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def write_data(data, out):
    """The plotted numbers as JSON (for tests and for re-plotting elsewhere)."""
    if out:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as fh:
            json.dump(data, fh, indent=1)


_PALETTE = {}


def colour_of(scheduler):
    """A stable colour per scheduler: the known ones by their order, others as they appear."""
    if scheduler not in _PALETTE:
        if scheduler in SCHEDULER_ORDER:
            i = SCHEDULER_ORDER.index(scheduler)
        else:
            i = len(SCHEDULER_ORDER) + len([s for s in _PALETTE if s not in SCHEDULER_ORDER])
        _PALETTE[scheduler] = plt.get_cmap("tab10")(i % 10)
    return _PALETTE[scheduler]


# ---------------------------------------------------------------------------------------------
# pareto
# ---------------------------------------------------------------------------------------------

def pareto_flags(points):
    """True for each (x, y) that no other point matches in both and beats in one (larger is
    better for both) — the same rule as the `*` of `sievesim report`."""
    flags = []
    for x, y in points:
        dominated = any(ox >= x and oy >= y and (ox > x or oy > y) for ox, oy in points)
        flags.append(not dominated)
    return flags


def collect_points(paths):
    """One dict per run of every file: what the Pareto plot needs."""
    points = []
    for path in paths:
        with open_result(path) as f:
            for r in runs_of(path, f):
                points.append({
                    "file": path, "run": r.name, "scheduler": r.scheduler,
                    "sweep_key": r.sweep_key, "sweep_value": r.sweep_value,
                    "model": text(f.attrs.get("model_name", "?")), "nodes": int(f.attrs["nodes"]),
                    "throughput_tokens_per_s_per_gpu":
                        float(r.summary("throughput_tokens_per_s_per_gpu")),
                    "interactivity_tokens_per_s_per_user":
                        float(r.summary("interactivity_tokens_per_s_per_user")),
                })
    return points


def group_curves(points):
    """Points grouped into one curve per scheduler (per model and cluster size too, when the
    files mix them), each curve ordered by its swept value, with its Pareto flags."""
    setups = {(p["model"], p["nodes"]) for p in points}
    curves = {}
    for p in points:
        label = p["scheduler"] if len(setups) == 1 else \
            f"{p['scheduler']} ({p['model']}, {p['nodes']} GPUs)"
        curves.setdefault(label, {"label": label, "scheduler": p["scheduler"], "points": []})
        curves[label]["points"].append(p)
    for c in curves.values():
        c["points"].sort(key=lambda p: sweep_sort_key(p["sweep_value"]))
        flags = pareto_flags([(p["interactivity_tokens_per_s_per_user"],
                               p["throughput_tokens_per_s_per_gpu"]) for p in c["points"]])
        for p, on in zip(c["points"], flags):
            p["pareto"] = on
    return sorted(curves.values(), key=lambda c: (scheduler_rank(c["scheduler"]), c["label"]))


def plot_pareto(paths, out, data_out=None):
    points = collect_points(paths)
    curves = group_curves(points)
    xy = [(p["interactivity_tokens_per_s_per_user"], p["throughput_tokens_per_s_per_gpu"])
          for p in points]
    overall = pareto_flags(xy)
    for p, on in zip(points, overall):
        p["pareto_all"] = on

    fig, ax = plt.subplots(figsize=(9, 6.5))
    for c in curves:
        xs = [p["interactivity_tokens_per_s_per_user"] for p in c["points"]]
        ys = [p["throughput_tokens_per_s_per_gpu"] for p in c["points"]]
        col = colour_of(c["scheduler"])
        ax.plot(xs, ys, "-", color=col, lw=1.5, label=c["label"])
        for p, x, y in zip(c["points"], xs, ys):
            # Filled: on the scheduler's own Pareto front; hollow: dominated by its other points.
            ax.plot(x, y, "o", ms=7, color=col, mfc=col if p["pareto"] else "white", mew=1.5)
            if p["sweep_value"] is not None:
                ax.annotate(p["sweep_value"], (x, y), textcoords="offset points", xytext=(5, 5),
                            fontsize=8, color=col)
    front = sorted(x for x, on in zip(xy, overall) if on)
    if front:
        fx, fy = zip(*front)
        ax.step(fx, fy, where="post", ls="--", color="0.4", lw=1, zorder=0,
                label="Pareto front over all schedulers")
    ys = [y for _, y in xy]
    if min(ys) > 0 and max(ys) / min(ys) > 30:  # a concurrency sweep spans decades
        ax.set_yscale("log")
    keys = sorted({leaf(p["sweep_key"]) for p in points if p["sweep_key"]})
    models = sorted({f"{p['model']} on {p['nodes']} GPUs" for p in points})
    ax.set_xlabel("interactivity (output tokens/s per user = 1 / mean TPOT)")
    ax.set_ylabel("throughput (output tokens/s per GPU)")
    ax.set_title(f"{'; '.join(models)}: throughput vs interactivity\n"
                 f"{len(points)} runs from {len(paths)} file(s); points labelled with "
                 f"{', '.join(keys) or 'no swept value'}; filled = on the scheduler's Pareto front",
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    save(fig, out)
    write_data({"plot": "pareto", "files": list(paths), "curves": curves}, data_out)


# ---------------------------------------------------------------------------------------------
# timeline
# ---------------------------------------------------------------------------------------------

LAYER_COLUMNS = ["layer", "start_ps", "attention_end_ps", "dispatch_end_ps", "experts_end_ps",
                 "end_ps", "gpu_busy_ps", "pim_busy_ps", "sched_ps", "experts_gpu",
                 "experts_pim", "tokens_gpu", "tokens_pim"]


def moe_layers(run):
    """Layer indices with routed experts: the layers /expert_load lists."""
    if "expert_load" not in run.group:
        return None
    return set(int(v) for v in np.unique(run.group["expert_load"]["layer"][:]))


def timeline_rows(run, iteration, node):
    """The /layers rows of one (iteration, node) as a list of dicts in layer order."""
    t = run.table("layers", " (the run was made with output.layers: false)")
    its, nodes = np.unique(t["iteration"]), np.unique(t["node"])
    if iteration is None:
        iteration = int(its.max())
    if iteration not in its:
        raise InputError(run.path, f"run '{run.name}' has no iteration {iteration} in /layers "
                                   f"(iterations {its.min()}..{its.max()})")
    if node not in nodes:
        raise InputError(run.path, f"run '{run.name}' has no node {node} in /layers "
                                   f"(nodes {nodes.min()}..{nodes.max()})")
    sel = np.flatnonzero((t["iteration"] == iteration) & (t["node"] == node))
    sel = sel[np.argsort(t["layer"][sel], kind="stable")]
    moe = moe_layers(run)
    rows = []
    for i in sel:
        row = {k: int(t[k][i]) for k in LAYER_COLUMNS}
        # Without /expert_load (older files) a layer that received no tokens looks dense.
        row["moe"] = row["layer"] in moe if moe is not None else bool(t["tokens_in"][i] > 0)
        rows.append(row)
    return iteration, rows


def phase_bars(rows, t0):
    """Per drawing row, per phase: (start_us, width_us) bars.

    The four phases split the layer's critical path at the recorded instants: attention and
    router until attention_end; dispatch until the last token for this node's experts arrived;
    experts until the last local expert finished; combine until this node's last result came
    back. A dense layer has no dispatch: its FFN runs on the GPU from attention_end to end.
    """
    us = lambda ps: (ps - t0) / PS_PER_US  # noqa: E731
    bars = {("GPU", p): [] for p in ("attention", "experts", "dense")}
    bars.update({("PIM", p): [] for p in ("attention", "experts")})
    bars.update({("links", p): [] for p in ("dispatch", "combine")})

    def add(row_name, phase, a, b):
        if b > a:
            bars[(row_name, phase)].append((us(a), (b - a) / PS_PER_US))

    for r in rows:
        s, a, d, x, e = (r[k] for k in ("start_ps", "attention_end_ps", "dispatch_end_ps",
                                        "experts_end_ps", "end_ps"))
        add("GPU", "attention", s, a)
        add("PIM", "attention", s, a)
        if not r["moe"]:
            add("GPU", "dense", a, e)
            continue
        add("links", "dispatch", a, d)
        add("GPU", "experts", d, x)
        add("PIM", "experts", d, x)
        add("links", "combine", x, e)  # nothing when this node's results were back first
    return bars


ROWS = ["GPU", "PIM", "links"]  # top to bottom


def draw_timeline(ax, rows, t0, label_layers):
    """One timeline panel: phase boxes per row, busy share as a dark fill at the row bottom."""
    y = {name: len(ROWS) - 1 - i for i, name in enumerate(ROWS)}
    h = 0.8
    for (row_name, phase), segs in phase_bars(rows, t0).items():
        if segs:
            ax.broken_barh(segs, (y[row_name] - h / 2, h), facecolors=PHASE_COLOURS[phase],
                           alpha=0.45, edgecolor=PHASE_COLOURS[phase], linewidth=0.6)
    for unit, col in (("GPU", "gpu_busy_ps"), ("PIM", "pim_busy_ps")):
        for r in rows:
            span = r["end_ps"] - r["start_ps"]
            if span <= 0:
                continue
            share = min(1.0, r[col] / span)
            ax.broken_barh([((r["start_ps"] - t0) / PS_PER_US, span / PS_PER_US)],
                           (y[unit] - h / 2, h * share), facecolors=PHASE_COLOURS["busy"],
                           alpha=0.35, linewidth=0)
    if label_layers:
        for r in rows:
            ax.axvline((r["start_ps"] - t0) / PS_PER_US, color="0.6", lw=0.5, zorder=0)
            ax.text((r["start_ps"] - t0) / PS_PER_US, len(ROWS) - 0.45, f" layer {r['layer']}",
                    fontsize=8, va="bottom")
    ax.set_yticks([y[n] for n in ROWS], ROWS)
    ax.set_ylim(-0.6, len(ROWS) - 0.1 + (0.35 if label_layers else 0))
    ax.grid(True, axis="x", alpha=0.3)


def zoom_rows(rows, zoom_layer):
    """Three consecutive layers around zoom_layer (default: the slowest layer)."""
    if zoom_layer is None:
        centre = max(range(len(rows)), key=lambda i: rows[i]["end_ps"] - rows[i]["start_ps"])
    else:
        idx = [i for i, r in enumerate(rows) if r["layer"] == zoom_layer]
        if not idx:
            return None
        centre = idx[0]
    lo = max(0, min(centre - 1, len(rows) - 3))
    return rows[lo:lo + 3]


def timeline_legend():
    c = PHASE_COLOURS
    return [Patch(color=c["attention"], alpha=0.45,
                  label="attention + router (start→attention_end; on GPU and/or PIM "
                        "as the scheduler places it)"),
            Patch(color=c["dispatch"], alpha=0.45,
                  label="dispatch (attention_end→dispatch_end: last token for local experts in)"),
            Patch(color=c["experts"], alpha=0.45,
                  label="experts (dispatch_end→experts_end: last local expert done)"),
            Patch(color=c["combine"], alpha=0.45,
                  label="combine (experts_end→end: last result back)"),
            Patch(color=c["dense"], alpha=0.45, label="dense FFN (attention_end→end)"),
            Patch(color=c["busy"], alpha=0.35,
                  label="fill height = busy time / layer time (gpu_busy_ps, pim_busy_ps: "
                        "per-layer totals, not placed in time)")]


def plot_timeline(path, run_name, iteration, node, zoom_layer, out, data_out=None):
    with open_result(path) as f:
        run = pick_run(path, f, run_name)
        iteration, rows = timeline_rows(run, iteration, node)
        model = text(f.attrs.get("model_name", "?"))
    zoom = zoom_rows(rows, zoom_layer)
    if zoom is None:
        raise InputError(path, f"--zoom {zoom_layer}: no such layer in /layers")
    t0 = rows[0]["start_ps"]
    total_us = (rows[-1]["end_ps"] - t0) / PS_PER_US
    span = sum(r["end_ps"] - r["start_ps"] for r in rows)
    gpu = sum(r["gpu_busy_ps"] for r in rows) / span if span else 0.0
    pim = sum(r["pim_busy_ps"] for r in rows) / span if span else 0.0

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(14, 7.5),
                                      gridspec_kw={"height_ratios": [1, 1]})
    draw_timeline(top, rows, t0, label_layers=False)
    top.set_title(f"{model}, run {run.name}: iteration {iteration} on node {node} — "
                  f"{len(rows)} layers in {total_us:.1f} us; GPU busy {100 * gpu:.0f} %, "
                  f"PIM busy {100 * pim:.0f} % of the layer time\n"
                  "boxes: phases of each layer's critical path (from /layers); "
                  "dark fill: busy share", fontsize=10)
    top.set_xlabel("time since the iteration started on this node (us)")
    draw_timeline(bottom, zoom, t0, label_layers=True)
    bottom.set_title(f"zoom: layers {zoom[0]['layer']}..{zoom[-1]['layer']}"
                     + (" (around the slowest layer)" if zoom_layer is None else ""), fontsize=10)
    bottom.set_xlabel("time (us)")
    bottom.set_xlim((zoom[0]["start_ps"] - t0) / PS_PER_US,
                    (max(max(r["end_ps"], r["experts_end_ps"]) for r in zoom) - t0) / PS_PER_US)
    fig.legend(handles=timeline_legend(), loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    save(fig, out)
    write_data({"plot": "timeline", "file": path, "run": run.name, "iteration": iteration,
                "node": node, "t0_ps": t0, "layers": rows,
                "zoom_layers": [r["layer"] for r in zoom],
                "gpu_busy_share": gpu, "pim_busy_share": pim}, data_out)


# ---------------------------------------------------------------------------------------------
# experts
# ---------------------------------------------------------------------------------------------

def expert_table(run):
    """/expert_load as {layer: (tokens per expert, replicas per expert)}, experts in id order."""
    t = run.table("expert_load", " (written from schema 4 on)")
    out = {}
    for layer in np.unique(t["layer"]):
        sel = np.flatnonzero(t["layer"] == layer)
        sel = sel[np.argsort(t["expert"][sel], kind="stable")]
        out[int(layer)] = (t["tokens"][sel], t["replicas"][sel])
    return out


def imbalance(tokens):
    """max / mean tokens per expert (mean over all experts, idle ones too); None if no tokens."""
    mean = float(np.mean(tokens)) if len(tokens) else 0.0
    return float(np.max(tokens)) / mean if mean > 0 else None


def choose_layers(path, table, requested):
    """The layers to show: the requested ones (each must be a MoE layer), else four spread
    evenly over the MoE layers, first and last included."""
    moe = sorted(table)
    if requested:
        missing = [l for l in requested if l not in table]
        if missing:
            raise InputError(path, f"--layers: {missing[0]} is not a MoE layer of /expert_load "
                                   f"(MoE layers {moe[0]}..{moe[-1]})")
        return requested
    idx = np.unique(np.linspace(0, len(moe) - 1, num=min(4, len(moe))).round().astype(int))
    return [moe[i] for i in idx]


def fmt_ratio(v):
    return "-" if v is None else f"{v:.2f}"


def plot_experts(path, run_name, layers, out, data_out=None):
    with open_result(path) as f:
        run = pick_run(path, f, run_name)
        table = expert_table(run)
        model = text(f.attrs.get("model_name", "?"))
    chosen = choose_layers(path, table, layers)
    all_ratios = [v for v in (imbalance(tok) for tok, _ in table.values()) if v is not None]

    fig = plt.figure(figsize=(14, 2.2 * len(chosen) + 1.6))
    grid = fig.add_gridspec(len(chosen), 2, width_ratios=[2.2, 1])
    curve = fig.add_subplot(grid[:, 1])
    panels = []
    for i, layer in enumerate(chosen):
        tokens, replicas = table[layer]
        ax = fig.add_subplot(grid[i, 0], sharex=panels[0] if panels else None)
        experts = np.arange(len(tokens))
        cols = np.where(replicas > 1, "#dd8452", "#4c72b0")
        ax.bar(experts, tokens, width=1.0, color=cols, linewidth=0)
        mean = float(np.mean(tokens))
        ax.axhline(mean, color="k", lw=0.8, ls="--")
        ax.set_ylabel("tokens")
        ax.set_title(f"MoE layer {layer}: max/mean {fmt_ratio(imbalance(tokens))}, "
                     f"mean {mean:.1f}, idle experts {int(np.sum(tokens == 0))}", fontsize=9)
        panels.append(ax)
        ratio = imbalance(tokens)
        if ratio is not None:
            ranked = np.sort(tokens)[::-1] / mean
            curve.plot(np.arange(1, len(ranked) + 1), ranked, lw=1.5,
                       label=f"layer {layer} (max/mean {ratio:.2f})")
    panels[-1].set_xlabel("expert id (orange: replicated in the final placement; "
                          "dashed: mean)")
    for ax in panels[:-1]:
        ax.tick_params(labelbottom=False)
    all_sorted = [np.sort(tok)[::-1] / np.mean(tok) for tok, _ in table.values() if np.mean(tok) > 0]
    if all_sorted:
        curve.plot(np.arange(1, len(all_sorted[0]) + 1), np.mean(all_sorted, axis=0), "k--",
                   lw=1.2, label=f"mean over all {len(all_sorted)} MoE layers")
    curve.axhline(1.0, color="0.6", lw=0.8)
    curve.set_xlabel("expert rank (most loaded first)")
    curve.set_ylabel("tokens / mean tokens per expert")
    curve.set_title("sorted load per layer", fontsize=9)
    curve.grid(True, alpha=0.3)
    curve.legend(fontsize=8)
    worst = max(all_ratios) if all_ratios else None
    mean_ratio = float(np.mean(all_ratios)) if all_ratios else None
    fig.suptitle(f"{model}, run {run.name}: (token, expert) pairs per routed expert after "
                 f"warm-up (/expert_load)\nmax/mean imbalance over {len(table)} MoE layers: "
                 f"mean {fmt_ratio(mean_ratio)}, worst {fmt_ratio(worst)}", fontsize=10)
    fig.tight_layout()
    save(fig, out)
    write_data({"plot": "experts", "file": path, "run": run.name,
                "layers": [{"layer": l, "tokens": table[l][0].tolist(),
                            "replicas": table[l][1].tolist(),
                            "max_over_mean": imbalance(table[l][0])} for l in chosen],
                "max_over_mean_all_layers": {"mean": mean_ratio, "worst": worst}}, data_out)


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------

def plot_all(paths, run_name, outdir):
    """The three plots into outdir, each with its numbers as NAME.json."""
    # Check every input first so that a bad one leaves no partial set of plots.
    for path in paths:
        with open_result(path) as f:
            if path == paths[0]:
                pick_run(path, f, run_name)
    out = lambda name: os.path.join(outdir, name)  # noqa: E731
    plot_pareto(paths, out("pareto.png"), out("pareto.json"))
    plot_timeline(paths[0], run_name, None, 0, None, out("timeline.png"), out("timeline.json"))
    plot_experts(paths[0], run_name, None, out("experts.png"), out("experts.json"))


def layer_list(value):
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer numbers like 0,12,47, got '{value}'")


def parser():
    p = argparse.ArgumentParser(
        prog="sievesim_plots.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Plots of sievesim HDF5 result files (PNG, matplotlib).",
        epilog="""plots:
  pareto    throughput (output tokens/s per GPU) against interactivity (tokens/s per user)
            from /summary: one curve per scheduler over every run of every file (a sweep
            file, or the one-point files of a Slurm job array), points in order of the swept
            value and labelled with it; filled markers are on the scheduler's Pareto front
            (as `sievesim report` stars them), the dashed step is the front over all.
  timeline  one iteration on one node from /layers: GPU, PIM and links rows with each
            layer's critical-path phases (attention, dispatch, experts, combine) and the GPU
            and PIM busy share of the layer as fill height; a zoom on three layers below.
  experts   tokens per routed expert from /expert_load, one panel per chosen MoE layer, and
            the sorted load (tokens / mean) per layer with the max/mean imbalance.
  all       the three into a directory: pareto over every file, timeline and experts of the
            first file's default run; also writes each plot's numbers as NAME.json.

runs: a file with several runs (--schedulers, --sweep) keeps them under /runs/<name>; pick one
with --run NAME (e.g. sieve@concurrency=64). Default: the only run, or the baseline
scheduler's run at the largest swept value.

exit codes: 0 ok; 2 bad input (missing file, not a sievesim result, unknown run, iteration,
node or layer), one line on stderr naming the file; 1 anything else.

examples:
  sievesim run configs/quickstart.yaml --schedulers pimoe,sieve \\
      --sweep workload.requests.closed.concurrency=8,32,128 -o sweep.h5
  analysis/sievesim_plots.py pareto sweep.h5 -o pareto.png
  analysis/sievesim_plots.py timeline sweep.h5 --run sieve@concurrency=128 -o timeline.png
  analysis/sievesim_plots.py experts sweep.h5 --layers 0,24,47 -o experts.png
  analysis/sievesim_plots.py all points/*.h5 -d plots/""")
    sub = p.add_subparsers(dest="command", required=True, metavar="PLOT")

    def data_option(sp):
        sp.add_argument("--data", metavar="OUT.json",
                        help="also write the plotted numbers as JSON")

    sp = sub.add_parser("pareto", help="throughput vs interactivity, one curve per scheduler")
    sp.add_argument("files", nargs="+", metavar="FILE", help="sievesim result files")
    sp.add_argument("-o", "--output", required=True, metavar="OUT.png")
    data_option(sp)

    sp = sub.add_parser("timeline", help="one iteration on one node: GPU, PIM, links")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--run", metavar="NAME", help="run under /runs (default: see below)")
    sp.add_argument("--iteration", type=int, metavar="I", help="iteration (default: the last)")
    sp.add_argument("--node", type=int, default=0, metavar="N", help="node (default: 0)")
    sp.add_argument("--zoom", type=int, metavar="LAYER",
                    help="layer the lower panel centres on (default: the slowest)")
    sp.add_argument("-o", "--output", required=True, metavar="OUT.png")
    data_option(sp)

    sp = sub.add_parser("experts", help="tokens per expert per MoE layer, sorted load curve")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--run", metavar="NAME", help="run under /runs")
    sp.add_argument("--layers", type=layer_list, metavar="L,...",
                    help="MoE layers to show (default: four spread over the MoE layers)")
    sp.add_argument("-o", "--output", required=True, metavar="OUT.png")
    data_option(sp)

    sp = sub.add_parser("all", help="pareto, timeline and experts into a directory")
    sp.add_argument("files", nargs="+", metavar="FILE")
    sp.add_argument("--run", metavar="NAME", help="run of the first file for timeline/experts")
    sp.add_argument("-d", "--dir", required=True, metavar="OUTDIR")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        if args.command == "pareto":
            plot_pareto(args.files, args.output, args.data)
        elif args.command == "timeline":
            plot_timeline(args.file, args.run, args.iteration, args.node, args.zoom,
                          args.output, args.data)
        elif args.command == "experts":
            plot_experts(args.file, args.run, args.layers, args.output, args.data)
        else:
            plot_all(args.files, args.run, args.dir)
    except InputError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
