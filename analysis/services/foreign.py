"""Imports of other tools' exports (Microsoft Forms, REDCap) through the SPEC 4.2 write path.

A mapped export becomes SPEC 4.2 long files in memory, each line with its
place in the export, and is then checked and written exactly as those files
are (analysis.services.responses): shuffled, in one transaction, or not at
all. Respondents' identities become keyed-hash pseudonyms here and go no
further.
"""

import csv
import io
import re
from dataclasses import dataclass

from analysis.files.foreign.export import Export
from analysis.files.foreign.mapping import Applied, Mapping, apply
from analysis.files.responses import ResponseFileError, load_responses
from analysis.selectors import import_terms
from analysis.services.responses import ResponsesImported, responses_import
from surveys.models import Study
from surveys.pseudonyms import imported_label

__all__ = ["ForeignChecked", "ResponseFileError", "foreign_check", "foreign_import"]


@dataclass(frozen=True)
class ForeignChecked:
    respondents: int
    ratings: int
    selections: int
    left_out: list[str]


def _files(*, study: Study, export: Export, mapping: Mapping) -> tuple[Applied, dict]:
    """The mapped export as SPEC 4.2 files in memory, and what the mapping made of each row."""
    applied = apply(export, mapping, import_terms(study=study), lambda identity: imported_label(study_id=study.pk, identity=identity))
    ratings = _csv(f"ratings from {export.name}", ("round", "panelist", "statement", "rating"), applied.ratings)
    files = {"ratings": ratings, "places": {ratings.name: applied.ratings_from}, "not_recommended": None}
    if applied.selections:
        selections = _csv(
            f"not-recommended from {export.name}", ("round", "panelist", "vignette", "option"), applied.selections
        )
        files["not_recommended"] = selections
        files["places"][selections.name] = applied.selections_from
    return applied, files


_ROW = re.compile(r": row (\d+)")


def _refuse(study: Study, applied: Applied, files: dict):
    """Raises every problem at once, the export's own and the study's, in row order."""
    errors = list(applied.errors)
    try:
        load_responses(study=study, **files)
    except ResponseFileError as error:
        errors += error.errors
    # A problem of the whole file first, then by row (the header being row 1); sorted() keeps each row's order.
    raise ResponseFileError(sorted(errors, key=lambda line: int(m.group(1)) if (m := _ROW.search(line)) else 0))


def _csv(name: str, header: tuple[str, ...], rows: list[tuple]) -> io.BytesIO:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = io.BytesIO(text.getvalue().encode())
    data.name = name
    return data


def foreign_check(*, study: Study, export: Export, mapping: Mapping) -> ForeignChecked:
    """Everything the import would check, nothing written; raises ResponseFileError with every problem."""
    applied, files = _files(study=study, export=export, mapping=mapping)
    if applied.errors:
        _refuse(study, applied, files)
    plan = load_responses(study=study, **files)
    return ForeignChecked(
        respondents=len(plan.submissions), ratings=len(plan.ratings), selections=len(plan.selections),
        left_out=applied.left_out,
    )


def foreign_import(*, study: Study, export: Export, mapping: Mapping) -> tuple[ResponsesImported, list[str]]:
    """Writes the mapped export whole or raises ResponseFileError; returns what was written and the rows left out."""
    applied, files = _files(study=study, export=export, mapping=mapping)
    if applied.errors:
        _refuse(study, applied, files)
    return responses_import(study=study, **files), applied.left_out
