"""The paper's figures, drawn with matplotlib, as PNG (300 dpi), PDF or SVG.

- `distributions`: every rated statement of the round, one small bar chart
  each (the count at each scale point), a dashed line at neutral, the title
  marked when the statement reached consensus.
- `statement-<code>`: one statement's chart alone, as the results page shows it.
- `heatmap`: vignettes by options. A cell is the mean rating of the Likert
  statement of that vignette that names the option; a statement naming
  several options ("TMS or SRI not yet tried would be my main choice(s)")
  gives its mean to each of them, and where several statements of one
  vignette name the same option, the cell takes the highest mean. A cell
  whose statement reached consensus is marked with an asterisk; options no
  statement of the vignette names are left blank.
- `consensus`: per closed round up to this one, how many statements reached
  consensus and how many did not.
- `flow`: invited, joined, and each closed round's panelists who submitted.

Every figure is built from the same tables the exports hold (analysis.catalog),
so a figure and its table never disagree. matplotlib is imported only here
and only when a figure is drawn.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import numpy as np
import pandas as pd

import consensus as consensus_module

from analysis.participation import flow
from analysis.tables import RoundData, items as item_table, statement_verdicts
from surveys.models import Item

FIGURE_FORMATS = ("png", "pdf", "svg")
CONTENT_TYPES = {"png": "image/png", "pdf": "application/pdf", "svg": "image/svg+xml"}
DPI = 300
FIGURES = {
    "distributions": "Distribution of each statement's ratings",
    "heatmap": "Mean rating per vignette and option",
    "consensus": "Statements reaching consensus, round by round",
    "flow": "Participant flow",
}
# Colour-blind-safe colours (Okabe and Ito 2008).
BLUE, ORANGE, GREY = "#0072B2", "#E69F00", "#999999"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    # Text stays text, which a journal's editor can change: fonts embedded as
    # TrueType in PDF, and SVG text as <text> (escaped) rather than outlines.
    matplotlib.rcParams.update({"pdf.fonttype": 42, "svg.fonttype": "none", "svg.hashsalt": "delphi"})
    from matplotlib import pyplot

    return pyplot


def render(figure, fmt: str) -> bytes:
    """The figure as a file; no date or software version in it, so the same data gives the same bytes."""
    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}; choose one of {', '.join(FIGURE_FORMATS)}")
    buffer = io.BytesIO()
    metadata = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None, "Creator": None},
                "svg": {"Date": None, "Creator": None}}[fmt]
    figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata, bbox_inches="tight")
    _pyplot().close(figure)
    return buffer.getvalue()


# -- distributions ---------------------------------------------------------------


def _counts(row: dict, scale) -> tuple[list[int], list[int]]:
    points = list(range(scale.min, scale.max + 1))
    return points, [int(row.get(f"count_{point}") or 0) for point in points]


def _distribution_axes(ax, row: dict, data: RoundData) -> None:
    scale = Item.scale_of_type(row["type"], data.scale)
    points, counts = _counts(row, scale)
    ax.bar(points, counts, color=BLUE if row.get("consensus") else GREY, width=0.8)
    if row["type"] == Item.Type.LIKERT:
        ax.axvline(scale.neutral, color="black", linestyle="--", linewidth=0.8)
    ax.set_xticks(points)
    ax.set_ylim(0, max(counts + [1]) * 1.15)
    mark = " *" if row.get("consensus") else ""
    ax.set_title(f"{row['statement']}{mark}", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)


def _describe_counts(row: dict, data: RoundData) -> str:
    scale = Item.scale_of_type(row["type"], data.scale)
    points, counts = _counts(row, scale)
    shown = ", ".join(f"{count} at {point}" for point, count in zip(points, counts) if count)
    verdict = "; reached consensus" if row.get("consensus") else ""
    return f"{row['statement']}: {row['n']} ratings ({shown or 'none'}){verdict}"


def _rated_rows(data: RoundData, only: str | None = None) -> list[dict]:
    return [row for row in item_table(data).to_dict("records") if only is None or row["statement"] == only]


def distributions(data: RoundData, *, only: str | None = None):
    """Small multiples of the round's rated statements, or one statement's chart with `only`."""
    rows = _rated_rows(data, only)
    if not rows:
        return None
    pyplot = _pyplot()
    columns = 1 if only else min(4, len(rows))
    lines = math.ceil(len(rows) / columns)
    figure, axes = pyplot.subplots(
        lines, columns, figsize=(2.2 * columns + 0.4, 1.9 * lines + 0.4), squeeze=False, layout="constrained"
    )
    for ax, row in zip(axes.flat, rows):
        _distribution_axes(ax, row, data)
    for ax in list(axes.flat)[len(rows):]:
        ax.set_visible(False)
    figure.supxlabel("Rating", fontsize=8)
    figure.supylabel("Panelists", fontsize=8)
    if not only:
        figure.suptitle(f"Round {data.round.number}: ratings per statement (* consensus)", fontsize=9)
    return figure


# -- heatmap ---------------------------------------------------------------------


def heatmap_cells(data: RoundData) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Vignette titles, option names, the mean of each cell (NaN where none) and whether it is consensus.

    A round of Likert statements maps their means; a development round, which
    rates each option on the 4-point scale, maps those.
    """
    rated = item_table(data)
    if rated.empty:
        return [], [], np.empty((0, 0)), np.empty((0, 0), dtype=bool)
    kind = Item.Type.LIKERT if (rated["type"] == Item.Type.LIKERT).any() else Item.Type.CATEGORICAL
    verdicts = [row for row in rated.to_dict("records") if row["type"] == kind]
    vignettes = [v for v in data.vignettes["vignette"] if any(row["vignette"] == v for row in verdicts)]
    options = [o for o in data.options["option"] if any(o in row["options"] for row in verdicts)]
    means = np.full((len(vignettes), len(options)), np.nan, dtype=float)
    reached = np.zeros((len(vignettes), len(options)), dtype=bool)
    for row in verdicts:
        if row["mean"] is None or row["mean"] != row["mean"]:
            continue
        for option in row["options"]:
            i, j = vignettes.index(row["vignette"]), options.index(option)
            if np.isnan(means[i, j]) or row["mean"] > means[i, j]:
                means[i, j], reached[i, j] = row["mean"], bool(row["consensus"])
    titles = dict(zip(data.vignettes["vignette"], data.vignettes["vignette_title"]))
    short = data.options.set_index("option")
    names = [(short.at[o, "option_short"] or short.at[o, "option_name"]) for o in options]
    return [titles[v] for v in vignettes], names, means, reached


def heatmap(data: RoundData):
    rows, columns, means, reached = heatmap_cells(data)
    if not rows:
        return None
    pyplot = _pyplot()
    likert = (item_table(data)["type"] == Item.Type.LIKERT).any()
    scale = data.scale if likert else Item.scale_of_type(Item.Type.CATEGORICAL, data.scale)
    middle = scale.neutral if scale.neutral is not None else (scale.min + scale.max) / 2
    size = (1.0 + 0.55 * len(columns) + 2.2, 0.9 + 0.45 * len(rows))
    figure, ax = pyplot.subplots(figsize=size, layout="constrained")
    # One quad per cell, drawn as vectors: imshow resampled the grid to an image of the
    # figure's size at 300 dpi, several hundred MiB for 30 vignettes.
    shown = ax.pcolormesh(
        np.arange(len(columns) + 1) - 0.5, np.arange(len(rows) + 1) - 0.5, np.ma.masked_invalid(means),
        cmap="RdBu", vmin=scale.min, vmax=scale.max,
    )
    ax.invert_yaxis()
    ax.set_xticks(range(len(columns)), labels=columns, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(rows)), labels=rows, fontsize=7)
    for i, j in zip(*np.where(~np.isnan(means))):
        dark = abs(means[i, j] - middle) > (scale.max - scale.min) / 4
        ax.text(j, i, f"{consensus_module.fixed(means[i, j])}{'*' if reached[i, j] else ''}", ha="center", va="center", fontsize=6,
                color="white" if dark else "black")
    bar = figure.colorbar(shown, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("Mean rating", fontsize=7)
    bar.ax.tick_params(labelsize=7)
    ax.set_title(f"Round {data.round.number}: mean rating per vignette and option (* consensus)", fontsize=8)
    return figure


# -- across rounds -----------------------------------------------------------------


def consensus_counts(data: RoundData) -> pd.DataFrame:
    """Per closed round up to this one: how many Likert statements reached consensus, and how many did not."""
    rows = []
    for round_ in data.closed_rounds:
        verdicts = statement_verdicts(data.of_round(round_)).values()
        reached = sum(bool(row["consensus"]) for row in verdicts)
        rows.append({"round": round_.number, "reached": reached, "not_reached": len(verdicts) - reached})
    return pd.DataFrame(rows, columns=["round", "reached", "not_reached"])


def consensus(data: RoundData):
    counts = consensus_counts(data)
    if counts.empty or not (counts["reached"] + counts["not_reached"]).any():
        return None
    pyplot = _pyplot()
    figure, ax = pyplot.subplots(figsize=(1.5 + 0.9 * len(counts), 3.0), layout="constrained")
    labels = [f"Round {number}" for number in counts["round"]]
    ax.bar(labels, counts["reached"], color=BLUE, label="Consensus")
    ax.bar(labels, counts["not_reached"], bottom=counts["reached"], color=GREY, label="No consensus")
    ax.set_ylabel("Statements", fontsize=8)
    ax.legend(fontsize=7, frameon=False)
    ax.tick_params(labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return figure


def _flow_labels(table: pd.DataFrame) -> list[str]:
    return [row.stage if pd.isna(row.round) else f"Round {row.round}" for row in table.itertuples(index=False)]


def flow_figure(data: RoundData):
    table = flow(data)
    pyplot = _pyplot()
    labels = _flow_labels(table)
    figure, ax = pyplot.subplots(figsize=(1.5 + 0.9 * len(labels), 3.0), layout="constrained")
    colours = [ORANGE if pd.isna(r) else BLUE for r in table["round"]]
    bars = ax.bar(labels, table["n"], color=colours)
    for bar, row in zip(bars, table.itertuples(index=False)):
        note = "" if pd.isna(row.percent) else f"\n{row.percent:g}%"
        ax.annotate(f"{row.n}{note}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                    va="bottom", fontsize=7)
    ax.set_ylabel("Panelists", fontsize=8)
    ax.set_ylim(0, max(list(table["n"]) + [1]) * 1.3)
    ax.tick_params(labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return figure


BUILDERS: dict[str, Callable[[RoundData], object | None]] = {
    "distributions": distributions,
    "heatmap": heatmap,
    "consensus": consensus,
    "flow": flow_figure,
}


def build_figure(name: str, data: RoundData):
    """The figure called `name` (one of FIGURES, or statement-<code>), or None when the round has nothing to draw."""
    if name.startswith("statement-"):
        return distributions(data, only=name.removeprefix("statement-"))
    if name not in BUILDERS:
        raise ValueError(f"unknown figure {name!r}; choose one of {', '.join(FIGURES)}")
    return BUILDERS[name](data)


# -- in words ------------------------------------------------------------------------


def describe_statements(data: RoundData) -> dict[str, str]:
    """Each rated statement's chart in words (describe's statement-<code>), read in one pass over the round."""
    return {row["statement"]: _describe_counts(row, data) for row in _rated_rows(data)}


def describe(name: str, data: RoundData) -> str:
    """What the figure shows, in words: the page's alternative text, read from the same data without drawing."""
    if name.startswith("statement-") or name == "distributions":
        only = name.removeprefix("statement-") if name.startswith("statement-") else None
        return "; ".join(_describe_counts(row, data) for row in _rated_rows(data, only))
    if name == "heatmap":
        rows, columns, means, reached = heatmap_cells(data)
        return "; ".join(
            f"{rows[i]}, {columns[j]}: {consensus_module.fixed(means[i, j])}{' (consensus)' if reached[i, j] else ''}"
            for i, j in zip(*np.where(~np.isnan(means)))
        )
    if name == "consensus":
        return "; ".join(
            f"round {r}: {a} of {a + b} reached consensus" for r, a, b in consensus_counts(data).itertuples(index=False)
        )
    table = flow(data)
    return "; ".join(f"{label}: {n}" for label, n in zip(_flow_labels(table), table["n"]))
