"""Reading and checking response files (SPEC 4.2) before anything is written.

`load_responses` reads the ratings file (long or wide) and the optional
not-recommended file, checks every row against the study in the database and
returns a `ResponsesPlan`, or raises `ResponseFileError` listing every bad row
as "<file>: line <n>: <reason>" (the header is line 1). It writes nothing;
`analysis.services.responses.responses_import` writes a plan.

Reading (response_rows) and checking against the study (response_checks)
live in modules of their own; this one joins them.
"""

from pathlib import Path

from analysis.files.problems import FileProblems
from analysis.files.response_checks import Checker, ResponsesPlan
from analysis.files.response_rows import Errors, Source, read_ratings, read_selections
from surveys.models import Study

__all__ = ["ResponseFileError", "ResponsesPlan", "Source", "load_responses"]


class ResponseFileError(FileProblems):
    """A response file (SPEC 4.2) refused, each bad row a line."""


def load_responses(
    *,
    study: Study,
    ratings: Source,
    not_recommended: Source | None = None,
    round_number: int | None = None,
    places: dict[str, list[str]] | None = None,
) -> ResponsesPlan:
    """Reads and checks both files; raises ResponseFileError with every problem.

    `round_number` is the round of a wide ratings file that has no `round`
    column. `places` names, for files made from another tool's export, each
    data line's place in that export, which the errors then give instead.
    """
    names = [_name(ratings, "ratings")]
    if not_recommended is not None:
        names.append(_name(not_recommended, "not-recommended"))
    errors = Errors(names, places)
    rating_rows = read_ratings(ratings, names[0], round_number, errors)
    selection_rows = None
    if not_recommended is not None:
        selection_rows = read_selections(not_recommended, names[1], errors)
    plan = Checker(study, errors).check(rating_rows, selection_rows)
    if errors:
        raise ResponseFileError(errors.report())
    return plan


def _name(source: Source, default: str) -> str:
    if isinstance(source, str | Path):
        return str(source)
    return getattr(source, "name", None) or default
