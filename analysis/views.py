"""Results pages for the facilitators and analysts of a study.

Panelists of the study get 404 here like outsiders: they see the panel's
released feedback on their own pages, never the analyst's view. Staff get
no special pass either; to read a study's results they join it as analysts.
"""

from __future__ import annotations

import pandas as pd
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from analysis import charts
from analysis.exports import CONTENT_TYPES, EXTENSIONS, export_table, export_workbook, methods_frame
from analysis.forms import METHODS, WORKBOOK, DownloadForm, ResultsForm
from analysis.methods import methods_summary
from analysis.printing import readable
from analysis.selectors import (
    NoRoundToAnalyse,
    RoundNotClosed,
    comments_by_vignette,
    options_frame,
    round_for_analysis,
    study_rounds,
)
from analysis.catalog import TABLES, build_table, build_tables
from surveys.access import get_study_for_reader
from surveys.models import Item, Round, Study

STATUS_LABELS = {
    "consensus": gettext_lazy("Consensus"),
    "no_consensus": gettext_lazy("No consensus"),
    "consensus_in": gettext_lazy("Consensus in"),
    "consensus_out": gettext_lazy("Consensus out"),
    "appropriate": gettext_lazy("Appropriate"),
    "uncertain": gettext_lazy("Uncertain"),
    "inappropriate": gettext_lazy("Inappropriate"),
}


@require_GET
@login_required
def results(request, slug):
    study = get_study_for_reader(request, slug)
    rounds = study_rounds(study=study)
    action = reverse("analysis:results", args=[study.slug])
    form = ResultsForm(request.GET, study=study, rounds=rounds, action=action)
    context = {"study": study, "form": form, "round": None}
    if not form.is_valid():
        return render(request, "analysis/results.html", context, status=400)
    options = form.cleaned_data
    try:
        round_ = round_for_analysis(study=study, number=options["round"])
    except RoundNotClosed as error:
        context["refusal"] = str(error)
        return render(request, "analysis/results.html", context, status=409)
    except NoRoundToAnalyse:
        return render(request, "analysis/results.html", context)
    # Show the options actually used, so that the download buttons, which
    # submit this form, fetch exactly what the page shows.
    context["form"] = ResultsForm(
        study=study,
        rounds=rounds,
        action=action,
        initial={**options, "round": round_.number, "rule": options["rule"] or ""},
    )
    context.update(_results(study, round_, rounds, rule=options["rule"], include_all=options["include_all"]))
    return render(request, "analysis/results.html", context)


@require_GET
@login_required
def download(request, slug):
    study = get_study_for_reader(request, slug)
    rounds = study_rounds(study=study)
    form = DownloadForm(
        request.GET, study=study, rounds=rounds, action=reverse("analysis:download", args=[study.slug])
    )
    if not form.is_valid():
        return _invalid_download(request, study, form)
    options = form.cleaned_data
    table, fmt = options["table"], options["format"]
    if table == METHODS:
        # The methods cover the whole study, whichever round is chosen.
        frame = methods_frame(methods_summary(study=study).rows)
        return _file(export_table(frame, name=METHODS, fmt=fmt), f"{study.slug}-methods", fmt)
    try:
        round_ = round_for_analysis(study=study, number=options["round"])
    except RoundNotClosed as error:
        form.add_error("round", str(error))
        return _invalid_download(request, study, form, status=409)
    except NoRoundToAnalyse:
        form.add_error("round", _("No round has closed yet: choose a round."))
        return _invalid_download(request, study, form)
    rule, include_all = options["rule"], options["include_all"]
    stem = "-".join(
        [study.slug, f"round-{round_.number}", table if table != WORKBOOK else "tables"]
        + ([rule] if rule else [])
        + (["all"] if include_all else [])
    )
    if table == WORKBOOK:
        tables = build_tables(round=round_, include_all=include_all, rule=rule, study_rounds=rounds)
        content = export_workbook(tables, methods=methods_summary(study=study).rows)
    else:
        frame = build_table(
            table, round=round_, include_all=include_all, rule=rule, pseudonyms=options["pseudonyms"],
            study_rounds=rounds,
        )
        # The workbook carries a methods sheet; the flat formats hold the table alone.
        methods = methods_summary(study=study).rows if fmt == "xlsx" else ()
        content = export_table(frame, name=table, fmt=fmt, methods=methods)
    return _file(content, stem, fmt)


@require_GET
@login_required
def chart(request, slug, number, name):
    """One chart of the results page as an SVG file: `heatmap` or `distribution-<statement>`."""
    study = get_study_for_reader(request, slug)
    try:
        round_ = round_for_analysis(study=study, number=number)
    except RoundNotClosed as error:
        return HttpResponse(str(error), status=409, content_type="text/plain; charset=utf-8")
    except NoRoundToAnalyse:
        raise Http404 from None
    items = build_table("items", round=round_)
    if name == "heatmap":
        svg = _heatmap(study, round_, items)
    elif name.startswith("distribution-"):
        code = name.removeprefix("distribution-")
        svg = _distributions(study, round_, items, only=code).get(code)
    else:
        svg = None
    if svg is None:
        raise Http404
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{study.slug}-round-{number}-{name}.svg")
    # The file holds no script, and a browser opening it should run none.
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


# -- helpers ---------------------------------------------------------------------


def _invalid_download(request, study, form, *, status: int = 400):
    form.helper.form_id = "download-options"
    context = {"study": study, "form": form, "results_url": reverse("analysis:results", args=[study.slug])}
    return render(request, "analysis/download_invalid.html", context, status=status)


def _file(content: bytes, stem: str, fmt: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}.{EXTENSIONS[fmt]}")
    return response


def _results(study: Study, round_: Round, rounds: list[Round], *, rule: str | None, include_all: bool) -> dict:
    """Everything the page shows of one round, from one build of the tables."""
    tables = build_tables(round=round_, include_all=include_all, rule=rule, study_rounds=rounds)
    items = tables["items"]
    charts_of = _distributions(study, round_, items)
    statements = []
    for row in items.to_dict("records"):
        code = row["statement"]
        statements.append(
            {
                "code": code,
                "vignette_title": row["vignette_title"],
                "text": row["text"],
                "n": row["n"],
                "mean": row["mean"],
                "median": row["median"],
                "rated_for_consensus": row["type"] == Item.Type.LIKERT,
                "consensus": bool(row["consensus"]) if row["type"] == Item.Type.LIKERT else None,
                "status": STATUS_LABELS.get(row["status"], str(row["status"]).replace("_", " ")),
                "reasons": [reason for reason in str(row["reasons"] or "").split("; ") if reason],
                # bandit: reviewed; charts.py escapes every text it puts in the SVG.
                "chart": mark_safe(charts_of[code]),  # nosec B308 B703
                "chart_url": reverse(
                    "analysis:chart", args=[study.slug, round_.number, f"distribution-{code}"]
                ),
            }
        )
    heatmap = _heatmap(study, round_, items)
    return {
        "round": round_,
        "tables": [
            {"name": name, "title": title, **_display(tables[name])} for name, title in TABLES.items()
        ],
        "statements": statements,
        "has_rated_items": not items.empty,
        # bandit: reviewed; charts.py escapes every text it puts in the SVG.
        "heatmap": mark_safe(heatmap) if heatmap else None,  # nosec B308 B703
        "comments": comments_by_vignette(round=round_),
        "heatmap_url": reverse("analysis:chart", args=[study.slug, round_.number, "heatmap"]),
        "download_url": reverse("analysis:download", args=[study.slug]),
        "workbook_query": _query(round_.number, rule, include_all, table=WORKBOOK, fmt="xlsx"),
        "methods_query": _query(round_.number, rule, include_all, table=METHODS, fmt="xlsx"),
    }


def _query(number: int, rule: str | None, include_all: bool, *, table: str, fmt: str) -> str:
    params = {"table": table, "format": fmt, "round": number}
    if rule:
        params["rule"] = rule
    if include_all:
        params["include_all"] = "on"
    return "&".join(f"{key}={value}" for key, value in params.items())


def _scale_of(study: Study, item_type: str) -> tuple[int, int, int | None]:
    """Lowest point, highest point and neutral point of an item type's scale, as the charts draw it.

    The 4-point scale has no neutral answer, so its chart draws no neutral line.
    """
    scale = Item.scale_of_type(item_type, study.scale)
    return scale.min, scale.max, scale.neutral if item_type == Item.Type.LIKERT else None


def _distributions(study: Study, round_: Round, items: pd.DataFrame, *, only: str | None = None) -> dict[str, str]:
    svgs = {}
    for row in items.to_dict("records"):
        if only is not None and row["statement"] != only:
            continue
        low, high, neutral = _scale_of(study, row["type"])
        svgs[row["statement"]] = charts.distribution_svg(
            charts.counts_from_row(row, low=low, high=high),
            neutral=neutral,
            title=_("Ratings of %(statement)s in round %(round)d")
            % {"statement": row["statement"], "round": round_.number},
        )
    return svgs


def _heatmap(study: Study, round_: Round, items: pd.DataFrame) -> str | None:
    """The heatmap of the round's single-option rated items, or None if it has none."""
    if items.empty or not items["options"].map(len).eq(1).any():
        return None
    options = options_frame(study=study)
    short = options["option_short"].where(options["option_short"] != "", options["option_name"])
    labels = dict(zip(options["option"], short))
    # A round holds one kind of rated item in practice; should it mix
    # Likert and categorical items, the chart uses the one most items have.
    single = items[items["options"].map(len).eq(1)]
    item_type = single["type"].mode().iloc[0]
    low, high, neutral = _scale_of(study, item_type)
    return charts.heatmap_from_items(
        single[single["type"] == item_type],
        option_labels=labels,
        low=low,
        high=high,
        mid=neutral if neutral is not None else (low + high) / 2,
        title=_("Mean rating per vignette and option, round %(round)d") % {"round": round_.number},
    )


def _display(frame: pd.DataFrame) -> dict:
    """A table's header and rows as the page prints them, as every human format does."""
    shown = readable(frame)
    return {"columns": list(shown.columns), "rows": shown.values.tolist()}
