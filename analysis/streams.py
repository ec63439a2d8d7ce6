"""The raw answers of a round as files of any size, written a block of panelists at a time.

A raw table holds a row per answer: 300,000 in a round of 1,000 panelists
and 300 statements. CSV and JSON, the formats for programs, are written a
block of PANELISTS_PER_BLOCK panelists at a time, in the order of their
pseudonyms (the table's own order), so a worker holds one block of rows at a
time. The ratings are read whole first, as a grid of numbers
(_rating_blocks); the selections by one complete query per block. No read
stays open while the client downloads: on SQLite an open read would stop
every writer, a panelist's submit included, until it ended.

XLSX, Markdown and LaTeX are for people and are built whole; they are
refused beyond PRINTED_ROWS_MAX rows, with a message that names the formats
that take any size. That cap lies far below Excel's 1,048,576 rows, so no
workbook is ever cut short.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from analysis.exports import inert
from analysis.selectors import raw_answers
from surveys.models import Round

RAW_TABLES = ("raw-ratings", "raw-not-recommended")
STREAMED_FORMATS = ("csv", "json")
# Rows that a workbook, a Markdown or a LaTeX table of raw answers may hold:
# a workbook of 50,000 raw rows takes about 2 s to write with openpyxl on the
# bench machine (a download's target is 3 s), and a page of more is of no
# use to a reader.
PRINTED_ROWS_MAX = 50_000
# Panelists written at a time: 25 x 300 statements = 7,500 rows at the bench's size.
PANELISTS_PER_BLOCK = 25
# A cell of the grid of ratings where the panelist has no answer.
NO_ANSWER = raw_answers.BLANK_RATING - 1

Block = list[tuple]


class TooManyRows(Exception):
    """A raw table asked for in a format for people has more rows than PRINTED_ROWS_MAX."""


def _columns_and_query(name: str):
    if name == "raw-ratings":
        return raw_answers.RAW_RATING_COLUMNS, raw_answers.raw_ratings
    if name == "raw-not-recommended":
        return raw_answers.RAW_SELECTION_COLUMNS, raw_answers.raw_selections
    raise ValueError(f"{name!r} is not a raw table; choose one of {', '.join(RAW_TABLES)}")


def _columns_and_blocks(name: str, round: Round) -> tuple[list[str], Iterator[Block]]:
    columns, query = _columns_and_query(name)
    return columns, _rating_blocks(round) if name == "raw-ratings" else _blocks(query, round)


def check_printable(name: str, *, round: Round, fmt: str) -> None:
    """Raise TooManyRows when a raw table is too long for the format `fmt`; CSV and JSON take any size."""
    if name not in RAW_TABLES or fmt in STREAMED_FORMATS:
        return
    _columns, query = _columns_and_query(name)
    count = query(round=round).count()
    if count > PRINTED_ROWS_MAX:
        raise TooManyRows(
            _(
                "Round %(number)s has %(count)s raw rows, more than the %(most)s a workbook, Markdown or LaTeX "
                "table of raw answers holds. Choose CSV or JSON, which take any size."
            )
            % {"number": round.number, "count": f"{count:,}", "most": f"{PRINTED_ROWS_MAX:,}"}
        )


def raw_file(name: str, *, round: Round, fmt: str) -> Iterator[bytes]:
    """The raw table `name` of the round as CSV or JSON, a block of panelists per chunk of bytes.

    The bytes are those export_table writes for the whole table at once.
    """
    columns, blocks = _columns_and_blocks(name, round)
    if fmt == "csv":
        return _csv(columns, blocks)
    if fmt == "json":
        return _json(columns, blocks)
    raise ValueError(f"raw answers stream as {', '.join(STREAMED_FORMATS)}, not {fmt!r}")


def _blocks(query, round: Round) -> Iterator[Block]:
    """The table's rows, each block read whole by its own query before it is handed on."""
    submitters: Sequence[int] = [pk for pk, _label in raw_answers.submitters_labelled(round=round)]
    for start in range(0, len(submitters), PANELISTS_PER_BLOCK):
        rows: QuerySet = query(round=round, participants=submitters[start:start + PANELISTS_PER_BLOCK])
        yield list(rows)


def _rating_blocks(round: Round) -> Iterator[Block]:
    """The raw-ratings rows, from the round's ratings read whole before the first block is handed on.

    Read a block of panelists at a time, each rating is a lookup into the
    answer table, whose rows lie in a shuffled order (SPEC 5): random reads
    that slow down as the table grows (3.3 s for 1.2 million ratings on
    SQLite). Read whole, they come from one pass over an index (0.5 s), into
    a grid of panelists by items, 4 bytes a cell (5 MiB for 1,000 x 1,200).
    """
    panelists = raw_answers.submitters_labelled(round=round)
    items = raw_answers.rated_item_codes(round=round)
    grid = np.full((len(panelists), len(items)), NO_ANSWER, dtype=np.int32)
    row_of, column_of = pd.Index([pk for pk, _label in panelists]), pd.Index([pk for pk, _code in items])
    for chunk in raw_answers.round_ratings(round=round):
        rows, columns = row_of.get_indexer(chunk[:, 0]), column_of.get_indexer(chunk[:, 1])
        # A panelist who did not submit the round has no row (get_indexer's -1).
        kept = (rows >= 0) & (columns >= 0)
        grid[rows[kept], columns[kept]] = chunk[kept, 2]
    codes = [code for _pk, code in items]
    for start in range(0, len(panelists), PANELISTS_PER_BLOCK):
        block: Block = []
        for row, (_pk, label) in enumerate(panelists[start:start + PANELISTS_PER_BLOCK], start):
            answered = np.flatnonzero(grid[row] != NO_ANSWER)
            block.extend(
                (round.number, label, codes[column], None if rating == raw_answers.BLANK_RATING else rating)
                for column, rating in zip(answered.tolist(), grid[row, answered].tolist())
            )
        yield block


def _csv(columns: list[str], blocks: Iterator[Block]) -> Iterator[bytes]:
    """The rows as csv.writer writes them (`lineterminator="\\n"`), each distinct cell written by it once."""
    cells = _CsvCells()
    text = ",".join(cells[column] for column in columns) + "\n"
    for block in blocks:
        if block:
            yield (text + "".join([",".join(map(cells.__getitem__, row)) + "\n" for row in block])).encode("utf-8")
            text = ""
    if text:
        yield text.encode("utf-8")


class _CsvCells(dict):
    """A value's CSV field, made inert and quoted as csv.writer does, once per distinct value.

    A table of a million rows holds a few thousand distinct values
    (pseudonyms, codes, ratings), so a row is joined from fields already
    written: 0.4 s for 1.2 million rows, against 1.0 s through csv.writer.
    """

    def __missing__(self, value) -> str:
        if isinstance(value, (bool, float)):
            # True would share 1's key, 1.0 too; the raw tables hold whole numbers and text alone.
            raise TypeError(f"a raw CSV cell is a whole number or text, not {value!r}")
        if value is None or value == "":
            # csv.writer leaves an empty field unquoted in a row of several fields (alone on a row it quotes it).
            field = ""
        else:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerow([inert(value)])
            field = buffer.getvalue()[:-1]
        self[value] = field
        return field


def _json(columns: list[str], blocks: Iterator[Block]) -> Iterator[bytes]:
    """A list of records as `json.dumps(records, indent=2)` writes it, a block of records at a time."""
    buffer = io.StringIO()
    buffer.write("[")
    written = 0
    for block in blocks:
        for row in block:
            record = json.dumps(dict(zip(columns, row)), ensure_ascii=False, indent=2)
            buffer.write(("," if written else "") + "\n  " + record.replace("\n", "\n  "))
            written += 1
        yield _drain(buffer)
    buffer.write("\n]\n" if written else "]\n")
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")
