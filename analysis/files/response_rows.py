"""Reading response files (SPEC 4.2) into rows: the CSV parsed, each column's values checked on their own.

Columns are held as categoricals, so a code or a rating is parsed once per
distinct value and every row check is a numpy lookup: the benchmark's 900k
rows are read in a few seconds. A quoted field that spans lines would shift
the line numbers after it; codes and ratings never span lines.
"""

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from analysis.files.bounded import shown
from surveys.models import Participant

Source = str | Path | IO[bytes]

RATINGS_COLUMNS = ("round", "panelist", "statement", "rating")
NOT_RECOMMENDED_COLUMNS = ("round", "panelist", "vignette", "option")
LABEL_MAX_LENGTH = Participant._meta.get_field("label").max_length
# Round.number is a PositiveSmallIntegerField; a larger number is no round,
# and would size the checker's per-round arrays.
MAX_ROUND = 32767
CHUNK_ROWS = 100_000

_SKIPPED_LINE = re.compile(r"Skipping line (\d+): (.*)")
_WHOLE_NUMBER = re.compile(r"^[+-]?\d+$")


class Errors:
    """Every problem found as (file, line, reason), reported in file and line order."""

    def __init__(self, sources: list[str], places: dict[str, list[str]] | None = None):
        self._parts: list[tuple[str, np.ndarray, list[str]]] = []
        self._sources = sources
        # Files made from another tool's export: each data line's place in that export, from line 2.
        self._places = places or {}

    def __bool__(self) -> bool:
        return bool(self._parts)

    def add(self, source: str, line: int, reason: str) -> None:
        self.rows(source, np.array([line]), [reason])

    def rows(self, source: str, lines: np.ndarray, reasons: list[str]) -> None:
        if len(lines):
            self._parts.append((source, np.asarray(lines, dtype=np.int64), reasons))

    def report(self) -> list[str]:
        """The problems as lines of text; consumes them, as a file can hold a million."""
        parts, self._parts = self._parts, []
        sources = np.concatenate([np.full(len(lines), self._sources.index(s)) for s, lines, _ in parts])
        lines = np.concatenate([lines for _, lines, _ in parts])
        reasons = [reason for _, _, part in parts for reason in part]
        del parts
        report, previous = [], None
        for i in np.lexsort((lines, sources)).tolist():
            source = self._sources[sources[i]]
            places = self._places.get(source)
            if places is not None and 2 <= lines[i] < len(places) + 2:
                text = f"{places[lines[i] - 2]}: {reasons[i]}"
            else:
                text = f"{source}: line {lines[i]}: {reasons[i]}"
            # A wide file's row-level problem is found once per cell, side by side; say it once.
            if text != previous:
                report.append(text)
            previous = text
        return report


# -- reading ----------------------------------------------------------------


@dataclass
class Csv:
    """A CSV file's columns as stripped string categoricals, and each row's line."""

    name: str
    header: list[str]
    columns: dict[str, pd.Categorical]
    lines: np.ndarray

    def text(self, column: str) -> np.ndarray:
        return np.asarray(self.columns[column], dtype=object)

    def per_value(self, column: str, parse) -> np.ndarray:
        """`parse` applied once per distinct value of a column, spread over the rows."""
        values = self.columns[column]
        parsed = np.array([parse(value) for value in values.categories], dtype=float)
        return np.append(parsed, np.nan)[values.codes]


def _read_csv(source: Source, name: str, errors: Errors) -> Csv | None:
    """Blank lines are skipped; a row with too many fields is reported; a row
    with too few reads its missing last fields as empty."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            # Read as text, never inferred numbers ("007" is a label, not 7),
            # in chunks kept as categoricals so that memory follows the
            # distinct values, not the rows.
            chunks = [
                chunk.astype("category")
                for chunk in pd.read_csv(
                    source,
                    dtype=str,
                    keep_default_na=False,
                    skip_blank_lines=False,
                    on_bad_lines="warn",
                    encoding="utf-8-sig",
                    chunksize=CHUNK_ROWS,
                )
            ]
    except FileNotFoundError:
        errors.add(name, 1, "the file does not exist")
        return None
    except pd.errors.EmptyDataError:
        errors.add(name, 1, "the file is empty; a header row is required")
        return None
    except UnicodeDecodeError:
        errors.add(name, 1, "the file is not UTF-8 text")
        return None
    except pd.errors.ParserError as exc:
        message = str(exc).strip()
        line = re.search(r"line (\d+)", message)
        errors.add(name, int(line.group(1)) if line else 1, f"cannot be read as CSV: {message}")
        return None
    skipped = []
    for warning in caught:
        match = _SKIPPED_LINE.search(str(warning.message))
        if match:
            skipped.append(int(match.group(1)))
            errors.add(name, int(match.group(1)), match.group(2).strip())
    raw_header = list(chunks[0].columns) if chunks else []
    header = [str(column).strip() for column in raw_header]
    doubled = sorted({column for column in header if header.count(column) > 1})
    if doubled:
        errors.add(name, 1, f"column(s) named twice: {', '.join(doubled)}")
        return None
    if any(column == "" or column.startswith("Unnamed: ") for column in header):
        errors.add(name, 1, "every column needs a name")
        return None
    columns = {
        column: _stripped(union_categoricals([chunk[raw] for chunk in chunks]))
        for raw, column in zip(raw_header, header, strict=True)
    }
    rows = len(next(iter(columns.values()))) if columns else 0
    # Lines 2, 3 ... in order, less those pandas skipped as malformed.
    lines = np.arange(2, 2 + rows + len(skipped))
    lines = lines[~np.isin(lines, skipped)]
    blank = np.logical_and.reduce([_is_empty(values) for values in columns.values()])
    if blank.any():
        columns = {column: values[~blank] for column, values in columns.items()}
        lines = lines[~blank]
    return Csv(name=name, header=header, columns=columns, lines=lines)


def _stripped(values: pd.Categorical) -> pd.Categorical:
    categories = np.asarray(values.categories, dtype=object)
    uniques, inverse = np.unique(np.array([c.strip() for c in categories], dtype=object), return_inverse=True)
    return pd.Categorical.from_codes(inverse[values.codes], categories=uniques)


def _is_empty(values: pd.Categorical) -> np.ndarray:
    empty = np.array([c == "" for c in values.categories], dtype=bool)
    return np.append(empty, False)[values.codes]


def _whole_number(value: str) -> float:
    # float(), not int(): int() refuses more than 4300 digits, and a huge int overflows float().
    return float(value) if _WHOLE_NUMBER.match(value) else np.nan


@dataclass
class Rows:
    """Rows of one file with the columns both kinds share.

    `usable` marks the rows whose round and panelist are valid; checks
    against the study look only at those.
    """

    name: str
    line: np.ndarray
    round: np.ndarray  # 0 where not a round number
    panelist: pd.Categorical
    usable: np.ndarray
    # Set by the checker: index into its labels and rounds.
    panelist_code: np.ndarray | None = None
    round_code: np.ndarray | None = None


@dataclass
class RatingRows(Rows):
    """One rating per row, from a long file or the cells of a wide one."""

    wide: bool = False
    statement: pd.Categorical | None = None
    rating: np.ndarray | None = None  # NaN when blank


@dataclass
class SelectionRows(Rows):
    vignette: pd.Categorical | None = None
    option: pd.Categorical | None = None


def _rounds_and_labels(csv: Csv, errors: Errors) -> tuple[np.ndarray, np.ndarray]:
    """Round numbers (0 where invalid) and a mask of rows with a valid round and panelist."""
    numbers = csv.per_value("round", _whole_number)
    bad_round = ~((numbers >= 1) & (numbers <= MAX_ROUND))
    errors.rows(
        csv.name,
        csv.lines[bad_round],
        [
            f"round {value!r} is not a round number (1, 2, ...)" if value else "the round is empty"
            for value in csv.text("round")[bad_round]
        ],
    )
    length = csv.per_value("panelist", len)
    empty, too_long = length == 0, length > LABEL_MAX_LENGTH
    # PostgreSQL can neither store nor look up a text holding a NUL.
    nul = (csv.per_value("panelist", lambda label: "\x00" in label) == 1) & ~too_long
    errors.rows(
        csv.name, csv.lines[nul], [f"panelist {p!r} contains a NUL character" for p in csv.text("panelist")[nul]]
    )
    errors.rows(csv.name, csv.lines[empty], ["the panelist is empty"] * int(empty.sum()))
    errors.rows(
        csv.name,
        csv.lines[too_long],
        [f"panelist {p!r} is longer than {LABEL_MAX_LENGTH} characters" for p in csv.text("panelist")[too_long]],
    )
    return np.where(bad_round, 0, numbers).astype(np.int64), ~(bad_round | empty | too_long | nul)


def _check_columns(csv: Csv, expected: tuple[str, ...], errors: Errors) -> bool:
    missing = [column for column in expected if column not in csv.header]
    extra = [column for column in csv.header if column not in expected]
    if missing:
        errors.add(csv.name, 1, f"missing column(s): {', '.join(missing)} (expected {','.join(expected)})")
    if extra:
        # A header is the file's own text: quoted, so that a line break in it cannot split the report's line.
        named = ", ".join(column if column.isprintable() and column.strip() == column else shown(column) for column in extra)
        errors.add(csv.name, 1, f"unexpected column(s): {named} (expected {','.join(expected)})")
    return not (missing or extra)


def read_ratings(source: Source, name: str, round_number: int | None, errors: Errors) -> RatingRows | None:
    csv = _read_csv(source, name, errors)
    if csv is None:
        return None
    # A long file names its columns; anything else with a panelist column is wide.
    if "statement" in csv.header or "rating" in csv.header:
        if round_number is not None:
            errors.add(name, 1, "--round is for wide files; this long file has a round column")
            return None
        return _long_ratings(csv, errors)
    return _wide_ratings(csv, round_number, errors)


def _long_ratings(csv: Csv, errors: Errors) -> RatingRows | None:
    if not _check_columns(csv, RATINGS_COLUMNS, errors):
        return None
    rounds, usable = _rounds_and_labels(csv, errors)
    empty = _is_empty(csv.columns["statement"])
    errors.rows(csv.name, csv.lines[empty], ["the statement is empty"] * int(empty.sum()))
    return RatingRows(
        name=csv.name,
        line=csv.lines,
        round=rounds,
        panelist=csv.columns["panelist"],
        usable=usable & ~empty,
        statement=csv.columns["statement"],
        rating=_ratings(csv, "rating", csv.text("statement"), errors),
    )


def _wide_ratings(csv: Csv, round_number: int | None, errors: Errors) -> RatingRows | None:
    """One row per panelist and one column per statement code, melted to one row per cell."""
    if "panelist" not in csv.header:
        errors.add(
            csv.name,
            1,
            f"expected the columns {','.join(RATINGS_COLUMNS)} (long), "
            "or panelist and one column per statement code (wide)",
        )
        return None
    has_round = "round" in csv.header
    if has_round == (round_number is not None):
        errors.add(
            csv.name,
            1,
            "give the round of a wide file either as a round column or with --round, not both"
            if has_round
            else "a wide file needs a round column, or the round given with --round",
        )
        return None
    if round_number is not None and round_number < 1:
        errors.add(csv.name, 1, f"--round {round_number} is not a round number (1, 2, ...)")
        return None
    codes = [column for column in csv.header if column not in ("round", "panelist")]
    if not codes:
        errors.add(csv.name, 1, "a wide file needs one column per statement code")
        return None
    rows, width = len(csv.lines), len(codes)
    if not has_round:
        csv.columns["round"] = pd.Categorical([str(round_number)] * rows)
    rounds, usable = _rounds_and_labels(csv, errors)
    ratings = np.column_stack([_ratings(csv, code, np.full(rows, code, dtype=object), errors) for code in codes])
    panelist = csv.columns["panelist"]
    return RatingRows(
        name=csv.name,
        line=np.repeat(csv.lines, width),
        round=np.repeat(rounds, width),
        panelist=pd.Categorical.from_codes(np.repeat(panelist.codes, width), categories=panelist.categories),
        usable=np.repeat(usable, width),
        wide=True,
        statement=pd.Categorical.from_codes(np.tile(np.arange(width), rows), categories=codes),
        rating=ratings.ravel(),
    )


def _ratings(csv: Csv, column: str, statements: np.ndarray, errors: Errors) -> np.ndarray:
    """A column of ratings as floats, NaN when blank; reports those that are not whole numbers."""
    ratings = csv.per_value(column, _whole_number)
    bad = np.isnan(ratings) & ~_is_empty(csv.columns[column])
    errors.rows(
        csv.name,
        csv.lines[bad],
        [
            f"rating {value!r} for {statement!r} is not a whole number"
            for value, statement in zip(csv.text(column)[bad], statements[bad], strict=True)
        ],
    )
    return ratings


def read_selections(source: Source, name: str, errors: Errors) -> SelectionRows | None:
    csv = _read_csv(source, name, errors)
    if csv is None or not _check_columns(csv, NOT_RECOMMENDED_COLUMNS, errors):
        return None
    rounds, usable = _rounds_and_labels(csv, errors)
    for column in ("vignette", "option"):
        empty = _is_empty(csv.columns[column])
        errors.rows(csv.name, csv.lines[empty], [f"the {column} is empty"] * int(empty.sum()))
        usable &= ~empty
    return SelectionRows(
        name=csv.name,
        line=csv.lines,
        round=rounds,
        panelist=csv.columns["panelist"],
        usable=usable,
        vignette=csv.columns["vignette"],
        option=csv.columns["option"],
    )
