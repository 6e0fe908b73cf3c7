"""The `energy` plot of sievesim_plots.py: throughput against tokens per joule, one curve per
scheduler, and where each scheduler's energy goes (docs/energy.md).

A module of its own (sievesim_plots.py holds the shared readers, colours and styles); imported by
sievesim_plots.py when the plot is asked for. Same two steps as every plot there: energy_data()
reads the files (all input errors happen there), draw_energy() draws.
"""

import sievesim_plots as sp

TP, TPJ = "throughput_tokens_per_s_per_gpu", "output_tokens_per_joule"
PARTS = [("GPU compute", "energy_gpu_compute_J"), ("GPU HBM", "energy_gpu_hbm_J"),
         ("PIM", "energy_pim_J"), ("links", "energy_link_J"), ("static", "energy_static_J")]
PART_COLOURS = ["#4c72b0", "#8172b3", "#55a868", "#dd8452", "#a0a0a0"]


def energy_data(paths):
    """Per run of every file: throughput, tokens per joule and the energy by component; grouped
    into one curve per scheduler (per model and cluster size when the files mix them)."""
    points = []
    for path in paths:
        with sp.open_result(path) as f:
            for r in sp.runs_of(path, f):
                if TPJ not in r.group["summary"].attrs:
                    raise sp.InputError(path, f"run '{r.name}' has no energy figures (a result "
                                              "of schema 5 or later has them: rerun it)")
                points.append({
                    "file": path, "run": r.name, "scheduler": r.scheduler,
                    "sweep_key": r.sweep_key, "sweep_value": r.sweep_value,
                    "model": sp.text(f.attrs.get("model_name", "?")),
                    "nodes": int(f.attrs["nodes"]),
                    TP: float(r.summary(TP)), TPJ: float(r.summary(TPJ)),
                    "energy_J": {k: float(r.summary(k)) for _, k in PARTS},
                })
    curves = sp.group_curves(points, x=TPJ, y=TP)
    return {"plot": "energy", "files": list(paths), "curves": curves}


def draw_energy(data, out):
    plt = sp.pyplot()
    fig, (ax, bars) = plt.subplots(1, 2, figsize=sp.figsize(13, 6),
                                   gridspec_kw={"width_ratios": [3, 2]})
    ms = plt.rcParams["lines.markersize"] + 1
    for i, c in enumerate(data["curves"]):
        col = sp.colour_of(c["scheduler"])
        xs, ys = [p[TPJ] for p in c["points"]], [p[TP] for p in c["points"]]
        ax.plot(xs, ys, "-", color=col, lw=plt.rcParams["lines.linewidth"])
        ax.plot([], [], "-", color=col, marker=sp.marker_of(i), ms=ms, label=c["label"])
        for p, x, y in zip(c["points"], xs, ys):
            # Filled: on the scheduler's own front (no point of it both faster and thriftier).
            ax.plot(x, y, sp.marker_of(i), ms=ms, color=col, mfc=col if p["pareto"] else "white",
                    mew=1.2)
            if p["sweep_value"] is not None:
                ax.annotate(str(p["sweep_value"]).split("=", 1)[-1], (x, y),
                            textcoords="offset points", xytext=(4, 3), color=col,
                            fontsize=plt.rcParams["font.size"] * 0.75)
    ax.set_xlabel("energy efficiency (output tokens per joule)")
    ax.set_ylabel("throughput (tokens/s per GPU)")
    ax.grid(True, alpha=0.3)
    keys = sorted({sp.leaf(p["sweep_key"]) for c in data["curves"] for p in c["points"]
                   if p["sweep_key"]})
    ax.legend(title=f"labels: {', '.join(keys)}" if keys else None)
    # Where the energy goes: each curve's most loaded point, as shares of its total.
    labels, shares = [], []
    for c in data["curves"]:
        p = c["points"][-1]
        total = sum(p["energy_J"].values())
        labels.append(c["label"] if p["sweep_value"] is None else
                      f"{c['label']} @ {str(p['sweep_value']).split('=', 1)[-1]}")
        shares.append([100.0 * p["energy_J"][k] / total if total > 0 else 0.0
                       for _, k in PARTS])
    left = [0.0] * len(labels)
    for j, (name, _) in enumerate(PARTS):
        widths = [s[j] for s in shares]
        bars.barh(range(len(labels)), widths, left=left, color=PART_COLOURS[j], label=name)
        left = [a + b for a, b in zip(left, widths)]
    bars.set_yticks(range(len(labels)))
    bars.set_yticklabels(labels)
    bars.invert_yaxis()
    bars.set_xlim(0, 100)
    bars.set_xlabel("share of the energy (%), most loaded point")
    bars.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3,
                fontsize=plt.rcParams["font.size"] * 0.8, frameon=False)
    if sp.STYLE["titles"]:
        models = sorted({f"{p['model']} on {p['nodes']} GPUs"
                         for c in data["curves"] for p in c["points"]})
        fig.suptitle("; ".join(models) + ": throughput against energy per token")
    data["shares_percent"] = [{"label": lab, **{n: s for (n, _), s in zip(PARTS, row)}}
                              for lab, row in zip(labels, shares)]
    fig.tight_layout()
    sp.save(fig, out)
