#!/usr/bin/python3
"""Plots of sievesim HDF5 results: Pareto curves, an iteration timeline, expert loads.

Reads only what `sievesim run` writes (docs/hdf5-schema.md). Uses Debian's python3-h5py,
python3-numpy and python3-matplotlib; the shebang is the system python because those packages
live there, not in a pyenv or venv interpreter that may come first on PATH.

Each plot is two steps: *_data() reads the file(s) into plain numbers (all input errors happen
here) and draw_*() makes the figure from them; --data writes those same numbers as JSON.
"""

import argparse
import importlib.util
import json
import os
import sys



def missing(module):
    """The fix for a missing module: Debian's packages serve the system python, so under another
    interpreter (a pyenv or venv python3) the fix is to run the script with /usr/bin/python3."""
    system = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(system) and os.path.exists(system):
        return (f"sievesim_plots: error: {module} is missing from {sys.executable}; run the "
                f"script with {system} (or as ./analysis/sievesim_plots.py), where "
                "scripts/install-deps.sh installs python3-h5py, python3-numpy and "
                "python3-matplotlib")
    return (f"sievesim_plots: error: {module} is missing: apt-get install -y python3-h5py "
            "python3-numpy python3-matplotlib (scripts/install-deps.sh)")


try:
    import h5py
    import numpy as np
except ImportError as e:
    sys.exit(missing(e.name))
if importlib.util.find_spec("matplotlib") is None:
    sys.exit(missing("matplotlib"))

PROG = "sievesim_plots"
PS_PER_US = 1e6

# Fixed colours per scheduler so that every plot of a study uses the same legend.
SCHEDULER_ORDER = ["gpu-only", "noexp", "allexp", "pimoe", "duplex", "sieve", "oracle"]
PHASE_COLOURS = {"attention": "#4c72b0", "dispatch": "#dd8452", "experts": "#55a868",
                 "dense": "#8172b3", "combine": "#c44e52", "busy": "#303030"}


# Figure styles: `screen` (the default: large, explained titles), `paper` (a one-column figure,
# small type, no title: a paper's caption says what it shows) and `slides` (large type).
STYLES = {
    "screen": {"scale": 1.0, "rc": {"font.size": 10}, "titles": True},
    "paper": {"scale": 0.42, "rc": {"font.size": 7, "axes.titlesize": 7, "legend.fontsize": 6,
                                   "xtick.labelsize": 6, "ytick.labelsize": 6,
                                   "lines.linewidth": 1.0, "lines.markersize": 4},
              "titles": False},
    "slides": {"scale": 1.1, "rc": {"font.size": 15, "axes.titlesize": 15, "legend.fontsize": 12,
                                    "xtick.labelsize": 13, "ytick.labelsize": 13,
                                    "lines.linewidth": 2.2}, "titles": True},
}
STYLE = STYLES["screen"]
FORMATS = ("png", "pdf", "svg")


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only: no display on a cluster or in CI).
    Imported on first use because it takes most of a second: bad input is answered first."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update(STYLE["rc"])
    return plt


def figsize(w, h):
    return (w * STYLE["scale"], h * STYLE["scale"])


def output_format(path):
    """png, pdf or svg from the output name (vector formats for papers); anything else is an
    input error."""
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in FORMATS:
        raise InputError(path, f"unknown plot format '.{ext}': name the output .png, .pdf or .svg")
    return ext


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

    def __init__(self, path, group, name, scheduler, sweep_value, sweep_key, baseline):
        self.path, self.group, self.name = path, group, name
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


def scheduler_rank(name):
    return (SCHEDULER_ORDER.index(name), "") if name in SCHEDULER_ORDER else (99, name)


def runs_of(path, f):
    """Every run of a file, ordered by scheduler and swept value."""
    if "runs" not in f:
        sched = text(f.attrs.get("scheduler", "?"))
        return [Run(path, f, sched, sched, None, "", sched)]
    key = text(f["runs"].attrs.get("sweep_key", ""))
    baseline = text(f["runs"].attrs.get("baseline", ""))
    runs = [Run(path, g, name, text(g.attrs.get("scheduler", name)),
                text(g.attrs.get("sweep_value", "")) or None, key, baseline)
            for name, g in f["runs"].items()]
    return sorted(runs, key=lambda r: (scheduler_rank(r.scheduler), sweep_sort_key(r.sweep_value)))


def pick_run(path, f, name):
    """The run called name; without a name the only run, or for several runs the baseline
    scheduler's run at the largest swept value (the most loaded point, where plots say most)."""
    runs = runs_of(path, f)
    if not runs:
        raise InputError(path, "no runs under /runs")
    if name is not None:
        for r in runs:
            if r.name == name:
                return r
        raise InputError(path, f"no run '{name}' (runs: {', '.join(r.name for r in runs)})")
    preferred = [r for r in runs if r.scheduler == runs[0].baseline] or runs
    return max(preferred, key=lambda r: sweep_sort_key(r.sweep_value))


def leaf(key):
    """The last part of a dotted key: 'concurrency' for workload.requests.closed.concurrency;
    of each key of a grid sweep ('concurrency,policy')."""
    return ",".join(k.rsplit(".", 1)[-1] for k in key.split(",")) if key else ""


def save(fig, out):
    """Writes a figure as PNG, PDF or SVG (by the name's extension), creating the directory.
    Vector files carry no creation date, so the same data give the same file."""
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    meta = {"png": {}, "pdf": {"CreationDate": None}, "svg": {"Date": None}}[output_format(out)]
    fig.savefig(out, dpi=300 if STYLE is STYLES["paper"] else 110, metadata=meta or None)
    pyplot().close(fig)


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
        _PALETTE[scheduler] = pyplot().get_cmap("tab10")(i % 10)
    return _PALETTE[scheduler]


# ---------------------------------------------------------------------------------------------
# pareto
# ---------------------------------------------------------------------------------------------

TP, IA = "throughput_tokens_per_s_per_gpu", "interactivity_tokens_per_s_per_user"


MARKERS = "osD^vP*X"


def marker_of(index):
    return MARKERS[index % len(MARKERS)]


def place_labels(ax, points, texts, marker_px):
    """Offsets (in points) for the labels of `points` (data coordinates) so that no two labels
    overlap each other or sit on a marker and none leaves the axes: each tries eight positions
    around its point, nearest first, and is left out when all eight fail (its value is still in the legend's order and
    in --data). Returns [(text, (x, y), (dx, dy)) or None]. Works in display pixels, so call it
    after the axes limits are final."""
    fig = ax.figure
    fig.canvas.draw()
    px_per_pt = fig.dpi / 72.0
    size_pt = pyplot().rcParams["font.size"] * 0.8
    to_px = ax.transData.transform
    markers = [to_px(p) for p in points]
    frame = ax.bbox  # a label must stay inside the axes: nothing outside them is drawn whole
    taken = []  # label boxes (x0, y0, x1, y1) in pixels

    def hits(box, other):
        return box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]

    placed = []
    for (x, y), t, (mx, my) in zip(points, texts, markers):
        w = (0.6 * size_pt * len(t) + 2) * px_per_pt
        h = (size_pt + 2) * px_per_pt
        gap = marker_px / 2 + 2
        choice = None
        for dx, dy in ((gap, gap), (gap, -gap - h), (-gap - w, gap), (-gap - w, -gap - h),
                       (gap, -h / 2), (-gap - w, -h / 2), (-w / 2, gap), (-w / 2, -gap - h)):
            box = (mx + dx, my + dy, mx + dx + w, my + dy + h)
            if box[0] < frame.x0 or box[2] > frame.x1 or box[1] < frame.y0 or box[3] > frame.y1:
                continue
            if any(hits(box, b) for b in taken):
                continue
            if any(hits(box, (ox - marker_px / 2, oy - marker_px / 2, ox + marker_px / 2,
                              oy + marker_px / 2)) for ox, oy in markers):
                continue
            choice = (dx, dy, box)
            break
        if choice is None:
            placed.append(None)
            continue
        taken.append(choice[2])
        placed.append((t, (x, y), (choice[0] / px_per_pt, choice[1] / px_per_pt),
                       [float(v) for v in choice[2]]))
    return placed


def pareto_flags(points):
    """True for each (x, y) that no other point matches in both and beats in one (larger is
    better for both) — the rule of the `*` of `sievesim report`, which applies it to all rows
    (here: pareto_all)."""
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
                    TP: float(r.summary(TP)), IA: float(r.summary(IA)),
                })
    return points


def group_curves(points, x=None, y=None):
    """Points grouped into one curve per scheduler (per model and cluster size too, when the
    files mix them), each curve ordered by its swept value, with its Pareto flags over the keys
    x and y (both higher-is-better; default interactivity and throughput)."""
    x, y = x or IA, y or TP
    setups = {(p["model"], p["nodes"]) for p in points}
    curves = {}
    for p in points:
        label = p["scheduler"] if len(setups) == 1 else \
            f"{p['scheduler']} ({p['model']}, {p['nodes']} GPUs)"
        curves.setdefault(label, {"label": label, "scheduler": p["scheduler"], "points": []})
        curves[label]["points"].append(p)
    for c in curves.values():
        c["points"].sort(key=lambda p: sweep_sort_key(p["sweep_value"]))
        flags = pareto_flags([(p[x], p[y]) for p in c["points"]])
        for p, on in zip(c["points"], flags):
            p["pareto"] = on
    return sorted(curves.values(), key=lambda c: (scheduler_rank(c["scheduler"]), c["label"]))


def pareto_data(paths):
    points = collect_points(paths)
    curves = group_curves(points)
    # The front over every scheduler: which one to pick at a given interactivity.
    for p, on in zip(points, pareto_flags([(p[IA], p[TP]) for p in points])):
        p["pareto_all"] = on
    return {"plot": "pareto", "files": list(paths), "curves": curves}


def draw_pareto(data, out):
    plt = pyplot()
    points = [p for c in data["curves"] for p in c["points"]]
    fig, ax = plt.subplots(figsize=figsize(9, 6.5))
    base_ms = plt.rcParams["lines.markersize"] + 1
    for i, c in enumerate(data["curves"]):
        xs, ys = [p[IA] for p in c["points"]], [p[TP] for p in c["points"]]
        col = colour_of(c["scheduler"])
        # Each curve its own marker, later curves smaller and on top: coincident points of two
        # schedulers (the same split at low concurrency) stay visible as nested markers.
        ms = base_ms * max(0.45, 1.0 - 0.1 * i)
        ax.plot(xs, ys, "-", color=col, lw=plt.rcParams["lines.linewidth"], zorder=2 + i)
        ax.plot([], [], "-", color=col, marker=marker_of(i), ms=ms, label=c["label"])
        for p, x, y in zip(c["points"], xs, ys):
            # Filled: on the scheduler's own Pareto front; hollow: dominated by its other points.
            ax.plot(x, y, marker_of(i), ms=ms, color=col, mfc=col if p["pareto"] else "white",
                    mew=1.2, zorder=2 + i)
    front = sorted((p[IA], p[TP]) for p in points if p["pareto_all"])
    if front:
        # The staircase of what is attainable: at interactivity x, the most throughput of a run
        # with at least x ("pre": each point's level holds up to its own x).
        fx, fy = zip(*front)
        ax.step(fx, fy, where="pre", ls="--", color="0.4", lw=1, zorder=0,
                label="Pareto front over all schedulers")
    ys = [p[TP] for p in points]
    if min(ys) > 0 and max(ys) / min(ys) > 30:  # a concurrency sweep spans decades
        ax.set_yscale("log")
    keys = sorted({leaf(p["sweep_key"]) for p in points if p["sweep_key"]})
    models = sorted({f"{p['model']} on {p['nodes']} GPUs" for p in points})
    ax.set_xlabel("interactivity (tokens/s per user)")
    ax.set_ylabel("throughput (tokens/s per GPU)")
    if STYLE["titles"]:
        ax.set_title("; ".join(models))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title=f"labels: {', '.join(keys)}" if keys else None)
    ax.margins(0.08)
    fig.tight_layout()
    labelled = [p for p in points if p["sweep_value"] is not None]
    # A grid point's label is its values only ('64,eplb'); the legend's title names the keys.
    placed = place_labels(ax, [(p[IA], p[TP]) for p in labelled],
                          [",".join(v.split("=", 1)[-1] for v in str(p["sweep_value"]).split(","))
                           for p in labelled],
                          base_ms * fig.dpi / 72.0)
    data["labels"] = []
    data["axes_px"] = [float(v) for v in (ax.bbox.x0, ax.bbox.y0, ax.bbox.x1, ax.bbox.y1)]
    for p, spot in zip(labelled, placed):
        if spot is None:
            continue
        t, xy, off, box = spot
        ax.annotate(t, xy, textcoords="offset points", xytext=off, ha="left", va="bottom",
                    fontsize=plt.rcParams["font.size"] * 0.8, color=colour_of(p["scheduler"]))
        data["labels"].append({"text": t, "run": p["run"], "file": p["file"], "box_px": box})
    save(fig, out)


# ---------------------------------------------------------------------------------------------
# timeline
# ---------------------------------------------------------------------------------------------

LAYER_COLUMNS = ["layer", "start_ps", "attention_end_ps", "dispatch_end_ps", "experts_end_ps",
                 "end_ps", "gpu_busy_ps", "pim_busy_ps", "sched_ps", "experts_gpu",
                 "experts_pim", "tokens_gpu", "tokens_pim"]
# Schedulers whose published system runs decode attention on the GPU (scheduler.attention:
# default); every other one runs it on the PIM (src/sched/*.cpp, ExpertScheduler's first flag).
ATTENTION_ON_GPU = {"gpu-only", "noexp"}


def attention_on_pim(run, rows):
    """Where the run put attention: seen in the data where a layer's PIM was busy with no
    expert on it, else what the run's configuration says."""
    for r in rows:
        if r["experts_pim"] == 0:
            return r["pim_busy_ps"] > 0
    cfg = run.group.attrs.get("config") or run.group.file.attrs.get("config") or ""
    where = "default"
    for line in text(cfg).splitlines():
        if line.strip().startswith("attention:") and line.startswith("  attention"):
            where = line.split(":", 1)[1].strip()
    if where in ("pim", "gpu"):
        return where == "pim"
    return run.scheduler not in ATTENTION_ON_GPU


def moe_layers(run):
    """Layer indices with routed experts: the layers /expert_load lists (None without it)."""
    if "expert_load" not in run.group:
        return None
    return set(int(v) for v in np.unique(run.group["expert_load"]["layer"][:]))


def timeline_rows(run, iteration, node):
    """The /layers rows of one (iteration, node; default: the last iteration) in layer order."""
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


def zoom_rows(path, rows, zoom_layer):
    """Three consecutive layers around zoom_layer (default: the slowest layer)."""
    if zoom_layer is None:
        centre = max(range(len(rows)), key=lambda i: rows[i]["end_ps"] - rows[i]["start_ps"])
    else:
        idx = [i for i, r in enumerate(rows) if r["layer"] == zoom_layer]
        if not idx:
            raise InputError(path, f"--zoom {zoom_layer}: no such layer in /layers")
        centre = idx[0]
    lo = max(0, min(centre - 1, len(rows) - 3))
    return rows[lo:lo + 3]


def timeline_data(path, run_name, iteration, node, zoom_layer):
    with open_result(path) as f:
        run = pick_run(path, f, run_name)
        iteration, rows = timeline_rows(run, iteration, node)
        model = text(f.attrs.get("model_name", "?"))
        on_pim = attention_on_pim(run, rows)
    zoom = zoom_rows(path, rows, zoom_layer)
    span = sum(r["end_ps"] - r["start_ps"] for r in rows)
    return {"plot": "timeline", "file": path, "run": run.name, "model": model,
            "iteration": iteration, "node": node, "t0_ps": rows[0]["start_ps"], "layers": rows,
            "attention_on_pim": on_pim,
            "zoom_layers": [r["layer"] for r in zoom], "zoom_default": zoom_layer is None,
            # Busy shares of the summed layer time (what the fill heights show, on average).
            "gpu_busy_share": sum(r["gpu_busy_ps"] for r in rows) / span if span else 0.0,
            "pim_busy_share": sum(r["pim_busy_ps"] for r in rows) / span if span else 0.0}


def phase_bars(rows, t0, attention_pim):
    """Per (drawing row, phase): the (start_us, width_us) bars.

    The four phases split the layer's critical path at the recorded instants: attention and
    router until attention_end; dispatch until the last token for this node's experts arrived;
    experts until the last local expert finished; combine until this node's last result came
    back. A dense layer has no dispatch: its FFN runs on the GPU from attention_end to end.
    """
    bars = {(row, phase): [] for row, phase in [
        ("GPU", "attention"), ("GPU", "experts"), ("GPU", "dense"), ("PIM", "attention"),
        ("PIM", "experts"), ("links", "dispatch"), ("links", "combine")]}

    def add(row_name, phase, a, b):
        if b > a:
            bars[(row_name, phase)].append(((a - t0) / PS_PER_US, (b - a) / PS_PER_US))

    for r in rows:
        s, a, d, x, e = (r[k] for k in ("start_ps", "attention_end_ps", "dispatch_end_ps",
                                        "experts_end_ps", "end_ps"))
        add("GPU", "attention", s, a)
        if attention_pim:
            add("PIM", "attention", s, a)
        if not r["moe"]:
            add("GPU", "dense", a, e)
            continue
        add("links", "dispatch", a, d)
        if r["experts_gpu"] > 0:
            add("GPU", "experts", d, x)
        if r["experts_pim"] > 0:
            add("PIM", "experts", d, x)
        add("links", "combine", x, e)  # nothing when this node's results were back first
    return bars


ROWS = ["GPU", "PIM", "links"]  # top to bottom


def draw_lanes(ax, rows, t0, label_layers, attention_pim):
    """One timeline panel: phase boxes per row, busy share as a dark fill at the row bottom.
    Returns the phases drawn."""
    y = {name: len(ROWS) - 1 - i for i, name in enumerate(ROWS)}
    h = 0.8
    drawn = set()
    for (row_name, phase), segs in phase_bars(rows, t0, attention_pim).items():
        if segs:
            drawn.add(phase)
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
    # Never clip the last layer: its combine may end after the next row's start would be.
    end = max(max(r["end_ps"], r["experts_end_ps"]) for r in rows)
    lo = (rows[0]["start_ps"] - t0) / PS_PER_US
    hi = (end - t0) / PS_PER_US
    ax.set_xlim(lo, hi + 0.02 * (hi - lo))
    return drawn


def timeline_legend(phases):
    """Legend entries of the phases present (and the busy fill)."""
    from matplotlib.patches import Patch
    c = PHASE_COLOURS
    entries = [Patch(color=c["attention"], alpha=0.45,
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
    order = ["attention", "dispatch", "experts", "combine", "dense", "busy"]
    return [e for name, e in zip(order, entries) if name in phases or name == "busy"]


def draw_timeline(data, out):
    plt = pyplot()
    rows, t0 = data["layers"], data["t0_ps"]
    zoom = [r for r in rows if r["layer"] in data["zoom_layers"]]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=figsize(14, 7.5))
    pim = data.get("attention_on_pim", True)
    phases = draw_lanes(top, rows, t0, label_layers=False, attention_pim=pim)
    if STYLE["titles"]:
        top.set_title(f"{data['model']}, {data['run']}: iteration {data['iteration']}, node "
                      f"{data['node']}: {len(rows)} layers in "
                      f"{(rows[-1]['end_ps'] - t0) / PS_PER_US:.1f} us; GPU busy "
                      f"{100 * data['gpu_busy_share']:.0f} %, PIM busy "
                      f"{100 * data['pim_busy_share']:.0f} %")
    top.set_xlabel("time since the iteration started on this node (us)")
    phases |= draw_lanes(bottom, zoom, t0, label_layers=True, attention_pim=pim)
    if STYLE["titles"]:
        bottom.set_title(f"layers {zoom[0]['layer']}..{zoom[-1]['layer']}"
                         + (" (around the slowest)" if data["zoom_default"] else ""))
    bottom.set_xlabel("time (us)")
    data["phases"] = sorted(phases)
    fig.legend(handles=timeline_legend(phases), loc="lower center", ncol=2,
               fontsize=plt.rcParams["font.size"] * 0.8, frameon=False)
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    save(fig, out)


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
        out[int(layer)] = (t["tokens"][sel].tolist(), t["replicas"][sel].tolist())
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
        missing = [layer for layer in requested if layer not in table]
        if missing:
            raise InputError(path, f"--layers: {missing[0]} is not a MoE layer of /expert_load "
                                   f"(MoE layers {moe[0]}..{moe[-1]})")
        return requested
    idx = np.unique(np.linspace(0, len(moe) - 1, num=min(4, len(moe))).round().astype(int))
    return [moe[i] for i in idx]


def experts_data(path, run_name, layers):
    with open_result(path) as f:
        run = pick_run(path, f, run_name)
        table = expert_table(run)
        model = text(f.attrs.get("model_name", "?"))
    chosen = choose_layers(path, table, layers)
    ratios = [v for v in (imbalance(tok) for tok, _ in table.values()) if v is not None]
    # Sorted load over mean, averaged over every MoE layer: the shape of the skew.
    ranked = [np.sort(tok)[::-1] / np.mean(tok) for tok, _ in table.values() if np.mean(tok) > 0]
    return {"plot": "experts", "file": path, "run": run.name, "model": model,
            "moe_layers": len(table),
            "layers": [{"layer": layer, "tokens": table[layer][0],
                        "replicas": table[layer][1],
                        "max_over_mean": imbalance(table[layer][0])} for layer in chosen],
            "sorted_over_mean_all_layers": np.mean(ranked, axis=0).tolist() if ranked else [],
            "max_over_mean_all_layers": {"mean": float(np.mean(ratios)) if ratios else None,
                                         "worst": max(ratios) if ratios else None}}


def fmt_ratio(v):
    return "-" if v is None else f"{v:.2f}"


def draw_experts(data, out):
    plt = pyplot()
    chosen = data["layers"]
    fig = plt.figure(figsize=figsize(14, 2.2 * len(chosen) + 1.6))
    grid = fig.add_gridspec(len(chosen), 2, width_ratios=[2.2, 1])
    curve = fig.add_subplot(grid[:, 1])
    panels = []
    for i, layer in enumerate(chosen):
        tokens, replicas = np.array(layer["tokens"]), np.array(layer["replicas"])
        ax = fig.add_subplot(grid[i, 0], sharex=panels[0] if panels else None)
        # One filled staircase (a bar per expert, drawn as one patch: 128+ bars are slow),
        # replicated experts over it in their own colour.
        edges = np.arange(len(tokens) + 1) - 0.5
        ax.stairs(tokens, edges, fill=True, color="#4c72b0")
        rep = np.flatnonzero(replicas > 1)
        if len(rep):
            ax.bar(rep, tokens[rep], width=1.0, linewidth=0, color="#dd8452")
        mean = float(np.mean(tokens))
        ax.axhline(mean, color="k", lw=0.8, ls="--")
        ax.set_ylabel("tokens")
        ax.set_title(f"MoE layer {layer['layer']}: max/mean {fmt_ratio(layer['max_over_mean'])}"
                     f", mean {mean:.1f}, idle experts {int(np.sum(tokens == 0))}")
        panels.append(ax)
        if layer["max_over_mean"] is not None:
            ranked = np.sort(tokens)[::-1] / mean
            curve.plot(np.arange(1, len(ranked) + 1), ranked, lw=1.5,
                       label=f"layer {layer['layer']} (max/mean {layer['max_over_mean']:.2f})")
    panels[-1].set_xlabel("expert id (orange: replicated in the final placement; dashed: mean)")
    for ax in panels[:-1]:
        ax.tick_params(labelbottom=False)
    avg = data["sorted_over_mean_all_layers"]
    if avg:
        curve.plot(np.arange(1, len(avg) + 1), avg, "k--", lw=1.2,
                   label=f"mean over all {data['moe_layers']} MoE layers")
    curve.axhline(1.0, color="0.6", lw=0.8)
    curve.set_xlabel("expert rank (most loaded first)")
    curve.set_ylabel("tokens / mean tokens per expert")
    curve.set_title("sorted load per layer")
    curve.grid(True, alpha=0.3)
    curve.legend(fontsize=pyplot().rcParams["font.size"] * 0.8)
    whole = data["max_over_mean_all_layers"]
    if STYLE["titles"]:
        fig.suptitle(f"{data['model']}, {data['run']}: tokens per routed expert after warm-up; "
                     f"max/mean over {data['moe_layers']} MoE layers: mean "
                     f"{fmt_ratio(whole['mean'])}, worst {fmt_ratio(whole['worst'])}")
    fig.tight_layout()
    save(fig, out)


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------

def plot_all(paths, run_name, outdir, fmt="png"):
    """The three plots into outdir, each with its numbers as NAME.json. Every input is read
    before anything is drawn, so a bad one leaves no partial set of plots."""
    plots = {"pareto": (pareto_data(paths), draw_pareto)}
    # A result written with output.layers: false (every shipped paper setup) has no /layers: the
    # timeline is left out with a note, the plots that need only /summary and /expert_load stay.
    try:
        plots["timeline"] = (timeline_data(paths[0], run_name, None, 0, None), draw_timeline)
    except InputError as e:
        if "output.layers: false" not in str(e):
            raise
        print(f"{PROG}: note: no timeline: {e}", file=sys.stderr)
    plots["experts"] = (experts_data(paths[0], run_name, None), draw_experts)
    for name, (data, draw) in plots.items():
        draw(data, os.path.join(outdir, f"{name}.{fmt}"))
        write_data(data, os.path.join(outdir, name + ".json"))


def layer_list(value):
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer numbers like 0,12,47, got '{value}'")


def parser():
    p = argparse.ArgumentParser(
        prog="sievesim_plots.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Plots of sievesim HDF5 result files (PNG, PDF or SVG; matplotlib).",
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
  energy    throughput against output tokens per joule from /summary, one curve per
            scheduler (filled: on its own front of both), and the energy by component
            (GPU compute, GPU HBM, PIM, links, static) of each scheduler's most loaded point
            (analysis/energy_plot.py; docs/energy.md).
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
  analysis/sievesim_plots.py --style paper pareto sweep.h5 -o pareto.pdf
  analysis/sievesim_plots.py timeline sweep.h5 --run sieve@concurrency=128 -o timeline.png
  analysis/sievesim_plots.py experts sweep.h5 --layers 0,24,47 -o experts.png
  analysis/sievesim_plots.py all points/*.h5 -d plots/""")
    sub = p.add_subparsers(dest="command", required=True, metavar="PLOT")

    p.add_argument("--style", choices=sorted(STYLES), default="screen",
                   help="screen (default: titles that say what is shown), paper (one-column "
                        "size, small type, no titles: the caption says it) or slides (large "
                        "type)")

    def outputs(sp):
        sp.add_argument("-o", "--output", required=True, metavar="OUT.png",
                        help="the plot; .png, .pdf or .svg (vector, for papers)")
        sp.add_argument("--data", metavar="OUT.json", help="also write the plotted numbers as JSON")

    sp = sub.add_parser("pareto", help="throughput vs interactivity, one curve per scheduler")
    sp.add_argument("files", nargs="+", metavar="FILE", help="sievesim result files")
    outputs(sp)

    sp = sub.add_parser("timeline", help="one iteration on one node: GPU, PIM, links")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--run", metavar="NAME", help="run under /runs (default: see --help above)")
    sp.add_argument("--iteration", type=int, metavar="I", help="iteration (default: the last)")
    sp.add_argument("--node", type=int, default=0, metavar="N", help="node (default: 0)")
    sp.add_argument("--zoom", type=int, metavar="LAYER",
                    help="layer the lower panel centres on (default: the slowest)")
    outputs(sp)

    sp = sub.add_parser("experts", help="tokens per expert per MoE layer, sorted load curve")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--run", metavar="NAME", help="run under /runs")
    sp.add_argument("--layers", type=layer_list, metavar="L,...",
                    help="MoE layers to show (default: four spread over the MoE layers)")
    outputs(sp)

    sp = sub.add_parser("energy", help="throughput vs tokens per joule, energy by component")
    sp.add_argument("files", nargs="+", metavar="FILE", help="sievesim result files")
    outputs(sp)

    sp = sub.add_parser("all", help="pareto, timeline and experts into a directory")
    sp.add_argument("files", nargs="+", metavar="FILE")
    sp.add_argument("--run", metavar="NAME", help="run of the first file for timeline/experts")
    sp.add_argument("-d", "--dir", required=True, metavar="OUTDIR")
    sp.add_argument("--format", choices=FORMATS, default="png", help="file format of the plots")
    return p


def main(argv=None):
    global STYLE
    args = parser().parse_args(argv)
    STYLE = STYLES[args.style]
    try:
        if args.command == "all":
            plot_all(args.files, args.run, args.dir, args.format)
            return 0
        output_format(args.output)
        if args.command == "pareto":
            data, draw = pareto_data(args.files), draw_pareto
        elif args.command == "energy":
            # The plot's module imports this one by name: hand it this very module (run as a
            # script it is __main__), with the style just chosen.
            sys.modules.setdefault("sievesim_plots", sys.modules[__name__])
            from energy_plot import draw_energy, energy_data
            data, draw = energy_data(args.files), draw_energy
        elif args.command == "timeline":
            data = timeline_data(args.file, args.run, args.iteration, args.node, args.zoom)
            draw = draw_timeline
        else:
            data, draw = experts_data(args.file, args.run, args.layers), draw_experts
    except InputError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    draw(data, args.output)
    write_data(data, args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
