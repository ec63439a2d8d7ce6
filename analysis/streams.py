"""The raw answers of a round as files of any size, written while the rows are read.

A raw table holds a row per answer: 300,000 in a round of 1,000 panelists
and 300 statements. CSV and JSON, the formats for programs, are written in
chunks as the database hands the rows over, so neither memory nor the time
to the first byte grows with the panel. XLSX, Markdown and LaTeX are for
people and are built whole; they are refused beyond PRINTED_ROWS_MAX rows,
with a message that names the formats that take any size. That cap lies
far below Excel's 1,048,576 rows, so no workbook is ever cut short.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from django.utils.translation import gettext as _

from analysis import selectors
from analysis.exports import inert
from surveys.models import Round

RAW_TABLES = ("raw-ratings", "raw-not-recommended")
STREAMED_FORMATS = ("csv", "json")
# Rows that a workbook, a Markdown or a LaTeX table of raw answers may hold:
# a workbook of 50,000 raw rows takes about 2 s to write with openpyxl on the
# bench machine (a download's target is 3 s), and a page of more is of no
# use to a reader.
PRINTED_ROWS_MAX = 50_000
# Rows fetched from the database, and written, at a time.
CHUNK_ROWS = 5_000


class TooManyRows(Exception):
    """A raw table asked for in a format for people has more rows than PRINTED_ROWS_MAX."""


def _rows(name: str, round: Round):
    if name == "raw-ratings":
        return selectors.RAW_RATING_COLUMNS, selectors.raw_ratings(round=round)
    if name == "raw-not-recommended":
        return selectors.RAW_SELECTION_COLUMNS, selectors.raw_selections(round=round)
    raise ValueError(f"{name!r} is not a raw table; choose one of {', '.join(RAW_TABLES)}")


def check_printable(name: str, *, round: Round, fmt: str) -> None:
    """Raise TooManyRows when a raw table is too long for the format `fmt`; CSV and JSON take any size."""
    if name not in RAW_TABLES or fmt in STREAMED_FORMATS:
        return
    _columns, rows = _rows(name, round)
    count = rows.count()
    if count > PRINTED_ROWS_MAX:
        raise TooManyRows(
            _(
                "Round %(number)s has %(count)s raw rows, more than the %(most)s a workbook, Markdown or LaTeX "
                "table of raw answers holds. Choose CSV or JSON, which take any size."
            )
            % {"number": round.number, "count": f"{count:,}", "most": f"{PRINTED_ROWS_MAX:,}"}
        )


def raw_file(name: str, *, round: Round, fmt: str) -> Iterator[bytes]:
    """The raw table `name` of the round as CSV or JSON, in chunks of bytes; the same file export_table writes."""
    columns, rows = _rows(name, round)
    if fmt == "csv":
        return _csv(columns, rows.iterator(chunk_size=CHUNK_ROWS))
    if fmt == "json":
        return _json(columns, rows.iterator(chunk_size=CHUNK_ROWS))
    raise ValueError(f"raw answers stream as {', '.join(STREAMED_FORMATS)}, not {fmt!r}")


def _csv(columns: list[str], rows) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([inert(column) for column in columns])
    for count, row in enumerate(rows, start=1):
        writer.writerow(["" if value is None else inert(value) for value in row])
        if count % CHUNK_ROWS == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _json(columns: list[str], rows) -> Iterator[bytes]:
    """A list of records as `json.dumps(records, indent=2)` writes it, one chunk of records at a time."""
    buffer = io.StringIO()
    buffer.write("[")
    count = 0
    for count, row in enumerate(rows, start=1):
        record = json.dumps(dict(zip(columns, row)), ensure_ascii=False, indent=2)
        buffer.write(("," if count > 1 else "") + "\n  " + record.replace("\n", "\n  "))
        if count % CHUNK_ROWS == 0:
            yield _drain(buffer)
    buffer.write("\n]\n" if count else "]\n")
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")
