"""Server-side SVG charts: the distribution of a statement's ratings and a mean-rating heatmap.

Hand-written SVG, for three reasons: no JavaScript or CDN is needed (the
network may be closed), the same string serves the web page and a
downloadable file, and charts are plain text that tests can parse.

Everything here is a pure function from numbers to an SVG string, so the
panelist feedback page can reuse `distribution_svg`. Every text is escaped
before it goes in, so a caller may mark the result safe for a template.
Styling is done with presentation attributes, never `style=` or `<style>`,
so the charts also render under a strict Content-Security-Policy, and
inline charts carry no `id`s that could clash when a page shows many.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

import pandas as pd
from django.utils.translation import gettext as _

SVG_NS = "http://www.w3.org/2000/svg"

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK = "#212529"
MUTED = "#6c757d"
RULE = "#adb5bd"
# A diverging orange-grey-purple scheme (ColorBrewer PuOr), readable with
# the common forms of colour blindness. Colour is never the only cue: the
# neutral point and the highlighted answer are also labelled in words.
BELOW = "#e08214"
NEUTRAL = "#bababa"
ABOVE = "#5e3c99"
HEAT_LOW = (230, 97, 1)
HEAT_MID = (247, 247, 247)
HEAT_HIGH = (94, 60, 153)
EMPTY_CELL = "#f8f9fa"


def _attr(value) -> str:
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    """Coordinates with at most two decimals: short files, no float noise."""
    return f"{round(value, 2):g}"


def _svg(*, width: float, height: float, title: str, desc: str, body: list[str]) -> str:
    # role="img" with aria-label makes screen readers announce the chart as
    # one image; <title> and <desc> serve the standalone file and tooltips.
    return "\n".join(
        [
            f'<svg xmlns="{SVG_NS}" viewBox="0 0 {_num(width)} {_num(height)}" '
            f'width="{_num(width)}" height="{_num(height)}" role="img" '
            f'aria-label="{_attr(title)}" class="chart" font-family="{_attr(FONT)}" font-size="12">',
            f"<title>{escape(title)}</title>",
            f"<desc>{escape(desc)}</desc>",
            *body,
            "</svg>",
        ]
    )


def _text(x: float, y: float, content: str, **attrs) -> str:
    # class_ stands for class (a Python keyword); other underscores are SVG's dashes.
    extra = "".join(f' {name.rstrip("_").replace("_", "-")}="{_attr(value)}"' for name, value in attrs.items())
    return f'<text x="{_num(x)}" y="{_num(y)}"{extra}>{escape(content)}</text>'


# -- distribution ---------------------------------------------------------------


def distribution_svg(
    counts: Mapping[int, int],
    *,
    neutral: int | None,
    highlight: int | None = None,
    title: str,
    highlight_label: str | None = None,
) -> str:
    """A bar chart of how many panelists gave each point of the scale.

    `counts` maps each scale point to its count; every point from the lowest
    to the highest key gets a bar, a missing one counting 0, so pass the
    scale's end points even when nobody chose them. `neutral` is marked in
    grey and labelled (None for a scale without one, e.g. the 4-point
    categorical). `highlight` outlines one point's bar, e.g. the panelist's
    own previous answer, labelled with `highlight_label`.
    """
    if not counts:
        raise ValueError("counts needs at least one scale point")
    low, high = min(counts), max(counts)
    points = range(low, high + 1)
    values = {point: int(counts.get(point) or 0) for point in points}
    n = sum(values.values())
    if highlight is not None and highlight not in values:
        raise ValueError(f"highlight {highlight} is not a point of the scale {low}-{high}")
    highlight_label = highlight_label or _("Your previous answer")

    width, height = 400, 230
    left, right, top, bottom = 12, 12, 40, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / len(points)
    bar_w = slot * 0.7
    tallest = max(max(values.values()), 1)
    base_y = top + plot_h

    body = []
    if highlight is not None:
        body.append(
            _text(left, 14, f"{highlight_label}: {highlight}", fill=INK, font_weight="bold", class_="legend")
        )
    body.append(_text(width - right, 14, _("n = %(n)d") % {"n": n}, fill=MUTED, text_anchor="end"))
    for index, point in enumerate(points):
        count = values[point]
        centre = left + slot * index + slot / 2
        bar_h = plot_h * count / tallest
        if neutral is not None and point == neutral:
            fill, kind = NEUTRAL, "neutral"
        elif neutral is not None and point < neutral:
            fill, kind = BELOW, "below"
        else:
            fill, kind = ABOVE, "above"
        marked = point == highlight
        stroke = f' stroke="{INK}" stroke-width="3"' if marked else ""
        css = f"bar bar-{kind}" + (" bar-highlight" if marked else "")
        body.append(
            f'<rect class="{css}" data-point="{point}" data-count="{count}" '
            f'x="{_num(centre - bar_w / 2)}" y="{_num(base_y - bar_h)}" '
            f'width="{_num(bar_w)}" height="{_num(bar_h)}" fill="{fill}"{stroke}>'
            f"<title>{escape(_('%(point)d: %(count)d') % {'point': point, 'count': count})}</title></rect>"
        )
        body.append(_text(centre, base_y - bar_h - 4, str(count), fill=INK, text_anchor="middle", class_="count"))
        if marked:
            # A downward triangle above the count: a cue that is not colour.
            tip = base_y - bar_h - 18
            body.append(
                f'<path class="highlight-marker" d="M{_num(centre - 5)} {_num(tip - 8)}'
                f'h10l-5 8z" fill="{INK}"/>'
            )
        weight = "bold" if point == neutral else "normal"
        body.append(_text(centre, base_y + 16, str(point), fill=INK, text_anchor="middle", font_weight=weight))
        if point == neutral:
            body.append(
                _text(centre, base_y + 30, _("neutral"), fill=MUTED, text_anchor="middle", class_="neutral-label")
            )
    body.append(
        f'<line x1="{left}" y1="{_num(base_y)}" x2="{width - right}" y2="{_num(base_y)}" stroke="{RULE}"/>'
    )
    body.append(_text(width / 2, height - 4, _("Rating"), fill=MUTED, text_anchor="middle"))

    listed = ", ".join(f"{point}: {values[point]}" for point in points)
    desc = _("%(n)d ratings on a %(low)d-%(high)d scale. Count per point: %(counts)s.") % {
        "n": n,
        "low": low,
        "high": high,
        "counts": listed,
    }
    if neutral is not None:
        desc += " " + _("Neutral point: %(neutral)d.") % {"neutral": neutral}
    if highlight is not None:
        desc += f" {highlight_label}: {highlight}."
    return _svg(width=width, height=height, title=title, desc=desc, body=body)


def counts_from_row(row: Mapping, *, low: int, high: int) -> dict[int, int]:
    """The counts `distribution_svg` takes, from a row with columns count_<point>."""
    counts = {}
    for point in range(low, high + 1):
        value = row.get(f"count_{point}")
        counts[point] = 0 if value is None or pd.isna(value) else int(value)
    return counts


# -- heatmap --------------------------------------------------------------------


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))  # type: ignore[return-value]


def heat_colour(value: float, *, low: float, mid: float, high: float) -> str:
    """The fill of a cell: orange below `mid`, near white at `mid`, purple above."""
    if value <= mid:
        t = 0.0 if mid == low else (mid - max(value, low)) / (mid - low)
        rgb = _mix(HEAT_MID, HEAT_LOW, t)
    else:
        t = 0.0 if high == mid else (min(value, high) - mid) / (high - mid)
        rgb = _mix(HEAT_MID, HEAT_HIGH, t)
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _ink_on(fill: str) -> str:
    """Black or white text, whichever reads better on `fill` (WCAG relative luminance)."""
    channels = [int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if luminance > 0.179 else "#ffffff"


def _clip(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def heatmap_svg(
    means: Sequence[Sequence[float | None]],
    *,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    low: float,
    high: float,
    mid: float,
    title: str,
) -> str:
    """A grid of mean ratings: one row per vignette, one column per option.

    `means[r][c]` is the mean of row r and column c, or None where nothing
    was rated. Colours run from `low` through `mid` (the scale's neutral
    point or midpoint) to `high`; each cell also prints its mean, so the
    chart does not depend on telling colours apart. Long labels are clipped
    on the chart and given whole in each cell's tooltip.
    """
    if len(means) != len(row_labels) or any(len(row) != len(column_labels) for row in means):
        raise ValueError("means must have one row per row label and one value per column label")
    cell_w, cell_h = 56, 30
    row_chars, column_chars = 30, 22
    left = 12 + 6.6 * min(max((len(label) for label in row_labels), default=0), row_chars)
    # Column labels are turned 45 degrees: their height is their length / sqrt(2).
    top = 20 + 6.6 * min(max((len(label) for label in column_labels), default=0), column_chars) / math.sqrt(2)
    legend_h = 44
    # The last column's label leans right, past the grid.
    width = left + cell_w * len(column_labels) + max(60, 6.6 * column_chars / math.sqrt(2))
    height = top + cell_h * len(row_labels) + legend_h

    body = []
    for c, label in enumerate(column_labels):
        x = left + cell_w * c + cell_w / 2
        body.append(
            f'<text x="{_num(x)}" y="{_num(top - 6)}" transform="rotate(-45 {_num(x)} {_num(top - 6)})" '
            f'fill="{INK}" class="column-label"><title>{escape(label)}</title>'
            f"{escape(_clip(label, column_chars))}</text>"
        )
    rated = []
    for r, (row_label, row) in enumerate(zip(row_labels, means)):
        y = top + cell_h * r
        body.append(
            f'<text x="{_num(left - 6)}" y="{_num(y + cell_h / 2 + 4)}" text-anchor="end" fill="{INK}" '
            f'class="row-label"><title>{escape(row_label)}</title>{escape(_clip(row_label, row_chars))}</text>'
        )
        for c, value in enumerate(row):
            x = left + cell_w * c
            if value is None or (isinstance(value, float) and math.isnan(value)):
                fill, shown = EMPTY_CELL, "–"
                tip = _("%(row)s, %(column)s: not rated") % {"row": row_label, "column": column_labels[c]}
                css = "cell cell-empty"
            else:
                fill, shown = heat_colour(value, low=low, mid=mid, high=high), f"{value:.2f}"
                tip = _("%(row)s, %(column)s: mean %(mean)s") % {
                    "row": row_label,
                    "column": column_labels[c],
                    "mean": shown,
                }
                css = "cell"
                rated.append((value, row_label, column_labels[c]))
            body.append(
                f'<rect class="{css}" x="{_num(x)}" y="{_num(y)}" width="{cell_w}" height="{cell_h}" '
                f'fill="{fill}" stroke="#ffffff"><title>{escape(tip)}</title></rect>'
            )
            ink = _ink_on(fill) if value is not None else MUTED
            body.append(_text(x + cell_w / 2, y + cell_h / 2 + 4, shown, fill=ink, text_anchor="middle"))

    # A stepped legend rather than a gradient: a gradient needs an id, and
    # ids clash when one page inlines several charts.
    legend_y = top + cell_h * len(row_labels) + 14
    steps = [low, (low + mid) / 2, mid, (mid + high) / 2, high]
    body.append(_text(left - 6, legend_y + 12, _("Mean"), fill=MUTED, text_anchor="end"))
    for index, value in enumerate(steps):
        x = left + index * 40
        body.append(
            f'<rect class="legend-step" x="{_num(x)}" y="{_num(legend_y)}" width="40" height="14" '
            f'fill="{heat_colour(value, low=low, mid=mid, high=high)}" stroke="{RULE}" stroke-width="0.5"/>'
        )
        body.append(_text(x + 20, legend_y + 28, f"{value:g}", fill=MUTED, text_anchor="middle", font_size="10"))

    desc = _(
        "Mean rating per vignette (%(rows)d rows) and option (%(columns)d columns), "
        "on a scale from %(low)s to %(high)s; %(rated)d of %(cells)d cells rated."
    ) % {
        "rows": len(row_labels),
        "columns": len(column_labels),
        "low": f"{low:g}",
        "high": f"{high:g}",
        "rated": len(rated),
        "cells": len(row_labels) * len(column_labels),
    }
    if rated:
        best, worst = max(rated), min(rated)
        desc += " " + _(
            "Highest: %(row)s, %(column)s (%(mean).2f). Lowest: %(low_row)s, %(low_column)s (%(low_mean).2f)."
        ) % {
            "row": best[1],
            "column": best[2],
            "mean": best[0],
            "low_row": worst[1],
            "low_column": worst[2],
            "low_mean": worst[0],
        }
    return _svg(width=width, height=height, title=title, desc=desc, body=body)


def heatmap_from_items(
    items: pd.DataFrame,
    *,
    option_labels: Mapping[str, str],
    low: float,
    high: float,
    mid: float,
    title: str,
) -> str | None:
    """The heatmap of the items table's rows that name exactly one option.

    Only single-option items are drawn, such as a development round that
    rates every option for every vignette. A statement naming several
    options ("TMS, SGA or ketamine would be my main choice") is rated as a
    whole: its mean says nothing about any one of its options, so it is
    left out rather than copied into several cells. Should two items share
    a vignette and option, the cell shows the mean of all their ratings
    (their means weighted by n). Rows follow the items' order, columns the
    order of `option_labels` (the study's option order); options nobody was
    asked about are left out. Returns None when no row names one option.
    """
    if items.empty:
        return None
    single = items[items["options"].map(lambda options: len(options) == 1)]
    if single.empty:
        return None
    sums: dict[tuple[str, str], float] = {}
    weights: dict[tuple[str, str], int] = {}
    rows: dict[str, str] = {}
    for row in single.itertuples(index=False):
        key = (row.vignette, row.options[0])
        rows.setdefault(row.vignette, row.vignette_title or row.vignette)
        weights.setdefault(key, 0)
        sums.setdefault(key, 0.0)
        if row.n and not pd.isna(row.mean):
            weights[key] += int(row.n)
            sums[key] += float(row.mean) * int(row.n)
    asked = {option for _vignette, option in weights}
    columns = [code for code in option_labels if code in asked]
    columns += sorted(asked - set(columns))
    means = [
        [
            sums[(vignette, option)] / weights[(vignette, option)] if weights.get((vignette, option)) else None
            for option in columns
        ]
        for vignette in rows
    ]
    return heatmap_svg(
        means,
        row_labels=list(rows.values()),
        column_labels=[option_labels.get(code, code) for code in columns],
        low=low,
        high=high,
        mid=mid,
        title=title,
    )
