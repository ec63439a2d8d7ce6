"""Results pages for the facilitators and analysts of a study.

Panelists of the study get 404 here like outsiders: they see the panel's
released feedback on their own pages, never the analyst's view. Staff get
no special pass either; to read a study's results they join it as analysts.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from analysis import figures
from analysis.catalog import TABLES, tables_of
from analysis.exports import CONTENT_TYPES, EXTENSIONS
from analysis.forms import METHODS, REPORT, WORKBOOK, DownloadForm, ImportForm, ResultsForm
from analysis.outputs import (
    NothingToDraw,
    TooManyRows,
    figure_file,
    is_streamed,
    raw_file,
    report_file,
    table_file,
    workbook_file,
)
from analysis.printing import readable
from analysis.selectors import NoRoundToAnalyse, RoundNotClosed, comments_by_vignette, round_for_analysis, study_rounds
from analysis.services.foreign import ResponseFileError, foreign_check, foreign_import
from analysis.tables import RoundData
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
# The import page lists this many of a file's problems; the command lists them all.
SHOWN_PROBLEMS = 100
FILE_TYPES = {**CONTENT_TYPES, **figures.CONTENT_TYPES,
              "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


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
        return _file(table_file(METHODS, study=study, round=None, fmt=fmt), f"{study.slug}-methods", fmt)
    try:
        round_ = round_for_analysis(study=study, number=options["round"])
    except RoundNotClosed as error:
        form.add_error("round", str(error))
        return _invalid_download(request, study, form, status=409)
    except NoRoundToAnalyse:
        form.add_error("round", _("No round has closed yet: choose a round."))
        return _invalid_download(request, study, form)
    rule, include_all = options["rule"], options["include_all"]
    name = {WORKBOOK: "tables", REPORT: "report"}.get(table, table)
    stem = "-".join(
        [study.slug, f"round-{round_.number}", name] + ([rule] if rule else []) + (["all"] if include_all else [])
    )
    if is_streamed(table, fmt):
        return _streamed(raw_file(table, round=round_, fmt=fmt), stem, fmt)
    if table == WORKBOOK:
        content = workbook_file(study=study, round=round_, include_all=include_all, rule=rule, study_rounds=rounds)
    elif table == REPORT:
        content = report_file(round=round_, rule=rule, study_rounds=rounds)
    else:
        try:
            content = table_file(table, study=study, round=round_, fmt=fmt, include_all=include_all, rule=rule,
                                 pseudonyms=options["pseudonyms"], study_rounds=rounds)
        except TooManyRows as error:
            form.add_error("format", str(error))
            return _invalid_download(request, study, form)
    return _file(content, stem, fmt)


@require_GET
@login_required
def figure(request, slug, number, name, fmt):
    """One figure of a closed round as PNG (300 dpi), PDF or SVG: one of figures.FIGURES, or statement-<code>."""
    study = get_study_for_reader(request, slug)
    if fmt not in figures.FIGURE_FORMATS or not (name in figures.FIGURES or name.startswith("statement-")):
        raise Http404
    try:
        round_ = round_for_analysis(study=study, number=number)
    except RoundNotClosed as error:
        return HttpResponse(str(error), status=409, content_type="text/plain; charset=utf-8")
    except NoRoundToAnalyse:
        raise Http404 from None
    try:
        content = figure_file(name, round=round_, fmt=fmt)
    except NothingToDraw:
        raise Http404 from None
    response = _file(content, f"{study.slug}-round-{number}-{name}", fmt)
    # An SVG opened on its own may style itself, never run a script or fetch anything.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# -- helpers ---------------------------------------------------------------------


def _invalid_download(request, study, form, *, status: int = 400):
    form.helper.form_id = "download-options"
    context = {"study": study, "form": form, "results_url": reverse("analysis:results", args=[study.slug])}
    return render(request, "analysis/download_invalid.html", context, status=status)


def _file(content: bytes, stem: str, fmt: str) -> HttpResponse:
    return _attachment(HttpResponse(content, content_type=FILE_TYPES[fmt]), stem, fmt)


def _streamed(chunks, stem: str, fmt: str) -> StreamingHttpResponse:
    """A file written while the database is read, so a worker never holds all of it."""
    return _attachment(StreamingHttpResponse(chunks, content_type=FILE_TYPES[fmt]), stem, fmt)


def _attachment(response: HttpResponseBase, stem: str, fmt: str) -> HttpResponseBase:
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}.{EXTENSIONS.get(fmt, fmt)}")
    return response


def _results(study: Study, round_: Round, rounds: list[Round], *, rule: str | None, include_all: bool) -> dict:
    """Everything the page shows of one round, from one read of the round's data."""
    data = RoundData(round_, rule=rule, study_rounds=rounds)
    tables = tables_of(data, include_all=include_all)
    described = figures.describe_statements(data)
    statements = []
    for row in tables["items"].to_dict("records"):
        code = row["statement"]
        statements.append(
            {
                "code": code,
                "vignette_title": row["vignette_title"],
                "text": row["text"],
                "rated_for_consensus": row["type"] == Item.Type.LIKERT,
                "consensus": bool(row["consensus"]) if row["type"] == Item.Type.LIKERT else None,
                "status": STATUS_LABELS.get(row["status"], str(row["status"]).replace("_", " ")),
                "reasons": [reason for reason in str(row["reasons"] or "").split("; ") if reason],
                "chart": _figure_links(study, round_, f"statement-{code}", described.get(code, "")),
            }
        )
    drawn = [
        {"name": name, "title": title, **_figure_links(study, round_, name, figures.describe(name, data))}
        for name, title in figures.FIGURES.items()
    ]
    return {
        "round": round_,
        "tables": [{"name": name, "title": title, **_display(tables[name])} for name, title in TABLES.items()],
        "statements": statements,
        "figures": [f for f in drawn if f["description"]],
        "comments": comments_by_vignette(round=round_),
        "download_url": reverse("analysis:download", args=[study.slug]),
        "workbook_query": _query(round_.number, rule, include_all, table=WORKBOOK, fmt="xlsx"),
        # The report is Word alone: it takes no format.
        "report_query": _query(round_.number, rule, include_all, table=REPORT, fmt=None),
    }


def _figure_links(study: Study, round_: Round, name: str, description: str) -> dict:
    """Where the page shows a figure (SVG) and offers it as PNG, PDF and SVG, with its text alternative."""
    urls = {fmt: reverse("analysis:figure", args=[study.slug, round_.number, name, fmt]) for fmt in figures.FIGURE_FORMATS}
    return {"description": description, "urls": urls, "src": urls["svg"]}


def _query(number: int, rule: str | None, include_all: bool, *, table: str, fmt: str | None) -> str:
    params = {"table": table, "round": number} | ({"format": fmt} if fmt else {})
    if rule:
        params["rule"] = rule
    if include_all:
        params["include_all"] = "on"
    return "&".join(f"{key}={value}" for key, value in params.items())


def _display(frame: pd.DataFrame) -> dict:
    """A table's header and rows as the page prints them, as every human format does."""
    shown = readable(frame)
    return {"columns": list(shown.columns), "rows": shown.values.tolist()}


@require_http_methods(["GET", "POST"])
@login_required
def import_export(request, slug):
    """A Microsoft Forms or REDCap export: recognised and previewed, mapped (proposed, then edited), checked, imported.

    Every step sends the file again with the mapping, so nothing of the
    export outlives the request. Problems come back with status 400, at the
    field or, for the file's rows, in a table by row and column.
    """
    study = get_study_for_reader(request, slug)
    posted = request.method == "POST"
    form = ImportForm(request.POST if posted else None, request.FILES if posted else None, study=study)
    context = {"study": study, "form": form, "results_url": reverse("analysis:results", args=[study.slug])}
    if request.method == "GET":
        return render(request, "analysis/import.html", context)
    if not form.is_valid():
        return render(request, "analysis/import.html", context, status=400)
    export, mapping, action = form.cleaned_data["export"], form.cleaned_data["mapping"], form.cleaned_data["action"]
    context["export"] = export
    if mapping is None:
        proposed = form.cleaned_data["proposed"]
        if action == ImportForm.DOWNLOAD:
            return _mapping_file(proposed.dump(), study)
        # The proposal goes into the textarea, to be read, corrected and sent back with the file.
        context["form"] = ImportForm(
            initial={"tool": export.tool, "mapping": proposed.dump()}, study=study
        )
        context["proposed"] = True
        return render(request, "analysis/import.html", context)
    if action == ImportForm.DOWNLOAD:
        return _mapping_file(mapping.dump(), study)
    try:
        if action == ImportForm.IMPORT:
            result, left_out = foreign_import(study=study, export=export, mapping=mapping)
        else:
            checked = foreign_check(study=study, export=export, mapping=mapping)
    except ResponseFileError as error:
        form.add_error(
            "export", ngettext("The file has %(count)d problem, listed below: nothing was imported.",
                               "The file has %(count)d problems, listed below: nothing was imported.",
                               len(error.errors)) % {"count": len(error.errors)}
        )
        context["problems"] = _problems(error.errors)
        return render(request, "analysis/import.html", context, status=400)
    if action == ImportForm.IMPORT:
        messages.success(
            request,
            _("Imported round(s) %(rounds)s: %(ratings)d ratings and %(selections)d not-recommended choices "
              "of %(submissions)d panelists; %(left)d incomplete row(s) left out.")
            % {"rounds": ", ".join(map(str, result.rounds)), "ratings": result.ratings,
               "selections": result.selections, "submissions": result.submissions, "left": len(left_out)},
        )
        return redirect("analysis:results", slug=study.slug)
    context["checked"] = checked
    return render(request, "analysis/import.html", context)


# "<file>: row <n>[, column <header as repr, perhaps cut short with …>]: <problem>", as analysis.files.foreign.export.where writes it.
_PLACE = re.compile(
    r"^.*?: row (?P<row>\d+)"
    r"(?:, column (?P<column>'(?:[^'\\]|\\.)*(?:'|…)|\"(?:[^\"\\]|\\.)*(?:\"|…)))?: (?P<problem>.*)$",
    re.DOTALL,
)


def _problems(errors: list[str]) -> list[dict]:
    """The file's problems by row and column, as the page's table shows them (the first SHOWN_PROBLEMS)."""
    rows = []
    for line in errors[:SHOWN_PROBLEMS]:
        match = _PLACE.match(line)
        if match:
            column = match["column"] or ""
            rows.append({"row": match["row"], "column": column[1:].removesuffix(column[:1]), "problem": match["problem"]})
        else:
            rows.append({"row": "", "column": "", "problem": line})
    return rows


def _mapping_file(text: str, study: Study) -> HttpResponse:
    return _attachment(HttpResponse(text, content_type="application/yaml; charset=utf-8"), f"{study.slug}-mapping", "yaml")
