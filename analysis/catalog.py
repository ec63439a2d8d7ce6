"""Every table the results page, its downloads and `export_consensus` offer, by name.

A table is built for one closed round: the round's own tables from that
round, the final tables, the flow and the attrition check from every closed
round up to it. All the tables of a round share one RoundData, so the
results page and the workbook make each query once.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from django.utils.translation import gettext_lazy as _

from analysis import comments, final, participation, tables
from analysis.tables import RoundData
from surveys.models import Round

TABLES = {
    "recommendations": _("Recommendations (Table 3)"),
    "not-recommended": _("Not recommended (Table 4)"),
    "final-recommendations": _("Final recommendations, across rounds (Table 3 of the paper)"),
    "final-not-recommended": _("Final not recommended, across rounds (Table 4 of the paper)"),
    "items": _("Item statistics"),
    "sensitivity": _("Sensitivity to the consensus definition"),
    "round-comparison": _("Changes between rounds"),
    "top-choices": _("Top-choice frequencies"),
    "rankings": _("Rankings and Kendall's W"),
    "flow": _("Participant flow and response rates"),
    "attrition": _("Attrition check: round 1 ratings of completers and dropouts"),
}

# Downloads and the command only, not shown on the page: the comments are
# shown there grouped by vignette, and a page of every answer would be of no
# use to a reader. The raw answers are in the long format of SPEC 4.2 that
# import_responses reads back.
FILE_TABLES = {
    "comments": _("Comments, unattributed"),
    "raw-ratings": _("Anonymised ratings (SPEC 4.2)"),
    "raw-not-recommended": _("Anonymised not-recommended selections (SPEC 4.2)"),
}

# The tables read from their round alone; the others follow the lineage or the panel across rounds.
ONE_ROUND_TABLES = frozenset(
    {"recommendations", "not-recommended", "items", "sensitivity", "top-choices", "rankings", "comments",
     "raw-ratings", "raw-not-recommended"}
)

BUILDERS: dict[str, Callable[..., pd.DataFrame]] = {
    "recommendations": tables.recommendations,
    "not-recommended": tables.not_recommended,
    "final-recommendations": final.final_recommendations,
    "final-not-recommended": final.final_not_recommended,
    "items": tables.items,
    "sensitivity": tables.sensitivity,
    "round-comparison": tables.round_comparison,
    "top-choices": tables.top_choices,
    "rankings": tables.rankings,
    "flow": participation.flow,
    "attrition": participation.attrition,
    "comments": comments.comments,
    "raw-ratings": tables.raw_ratings,
    "raw-not-recommended": tables.raw_not_recommended,
}


def build_table(
    name: str,
    *,
    round: Round,
    include_all: bool = False,
    rule: str | None = None,
    pseudonyms: bool = False,
    study_rounds: list[Round] | None = None,
) -> pd.DataFrame:
    """One table of the round; `pseudonyms` adds them to the comments, which are unattributed without.

    `study_rounds` are the study's rounds when the caller has read them already.
    """
    if name not in BUILDERS:
        raise ValueError(f"unknown table {name!r}; choose one of {', '.join(BUILDERS)}")
    data = RoundData(round, rule=rule, study_rounds=study_rounds, one_round=name in ONE_ROUND_TABLES)
    if name == "comments":
        return comments.comments(data, pseudonyms=pseudonyms)
    return BUILDERS[name](data, include_all=include_all)


def build_tables(
    *, round: Round, include_all: bool = False, rule: str | None = None, study_rounds: list[Round] | None = None
) -> dict[str, pd.DataFrame]:
    """Every table of the page (TABLES) for the round, sharing one set of queries."""
    return tables_of(RoundData(round, rule=rule, study_rounds=study_rounds), include_all=include_all)


def tables_of(data: RoundData, *, include_all: bool = False) -> dict[str, pd.DataFrame]:
    return {name: BUILDERS[name](data, include_all=include_all) for name in TABLES}
