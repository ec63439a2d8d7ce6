"""What a download and `export_consensus` write: a table, a figure or the Word report, as bytes.

The results page and the command ask here, so the same options give the
same file either way.
"""

from __future__ import annotations

from analysis.catalog import build_table, tables_of
from analysis.exports import export_table, export_workbook, methods_frame
from analysis.methods import methods_summary
from analysis.streams import RAW_TABLES, STREAMED_FORMATS, TooManyRows, check_printable, raw_file
from analysis.tables import RoundData
from surveys.models import Round, Study


__all__ = ["NothingToDraw", "TooManyRows", "figure_file", "is_streamed", "raw_file", "report_file", "table_file",
           "workbook_file"]


class NothingToDraw(Exception):
    """The round has nothing the figure shows (no rated statement, for example)."""


def table_file(
    name: str,
    *,
    study: Study,
    round: Round | None,
    fmt: str,
    include_all: bool = False,
    rule: str | None = None,
    pseudonyms: bool = False,
    study_rounds: list[Round] | None = None,
) -> bytes:
    """One table as a file; a workbook (xlsx) carries the methods on a sheet of its own.

    A raw table longer than a format for people holds raises TooManyRows;
    as CSV or JSON it is better streamed (`is_streamed`, `raw_file`).
    """
    if name == "methods":
        return export_table(methods_frame(methods_summary(study=study).rows), name=name, fmt=fmt)
    check_printable(name, round=round, fmt=fmt)
    frame = build_table(name, round=round, include_all=include_all, rule=rule, pseudonyms=pseudonyms,
                        study_rounds=study_rounds)
    methods = methods_summary(study=study).rows if fmt == "xlsx" else ()
    return export_table(frame, name=name, fmt=fmt, methods=methods)


def is_streamed(name: str, fmt: str) -> bool:
    """Whether the table is written while its rows are read (raw answers as CSV or JSON), by `raw_file`."""
    return name in RAW_TABLES and fmt in STREAMED_FORMATS


def workbook_file(*, study: Study, round: Round, include_all: bool, rule: str | None, study_rounds=None) -> bytes:
    data = RoundData(round, rule=rule, study_rounds=study_rounds)
    return export_workbook(tables_of(data, include_all=include_all), methods=methods_summary(study=study, data=data).rows)


def figure_file(name: str, *, round: Round, fmt: str, rule: str | None = None, study_rounds=None) -> bytes:
    from analysis import figures

    drawn = figures.build_figure(name, RoundData(round, rule=rule, study_rounds=study_rounds))
    if drawn is None:
        raise NothingToDraw(f"round {round.number} of study {round.study.slug} has nothing to draw in the {name} figure")
    return figures.render(drawn, fmt)


def report_file(*, round: Round, rule: str | None = None, study_rounds=None) -> bytes:
    from analysis import report

    return report.word_report(RoundData(round, rule=rule, study_rounds=study_rounds))
