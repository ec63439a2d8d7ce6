"""Reading and checking response files (SPEC 4.2) before anything is written.

`load_responses` reads the ratings file (long or wide) and the optional
not-recommended file, checks every row against the study in the database and
returns a `ResponsesPlan`, or raises `ResponseFileError` listing every bad row
as "<file>: line <n>: <reason>" (the header is line 1). It writes nothing;
`analysis.services.responses.responses_import` writes a plan.

Columns are held as categoricals, so a code or a rating is parsed once per
distinct value and every row check is a numpy lookup: the benchmark's 900k
rows are checked in a few seconds. A quoted field that spans lines would
shift the line numbers after it; codes and ratings never span lines.
"""

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
from django.db.models import F
from pandas.api.types import union_categoricals

from surveys.models import Answer, Item, ItemOption, Participant, Round, Study, Submission
from vignettes.models import Option

RATINGS_COLUMNS = ("round", "panelist", "statement", "rating")
NOT_RECOMMENDED_COLUMNS = ("round", "panelist", "vignette", "option")
LABEL_MAX_LENGTH = Participant._meta.get_field("label").max_length
# Round.number is a PositiveSmallIntegerField; a larger number is no round,
# and would size the checker's per-round arrays.
MAX_ROUND = 32767
NOT_RECOMMENDED_SUFFIX = ":not-recommended"
CHUNK_ROWS = 100_000

_SKIPPED_LINE = re.compile(r"Skipping line (\d+): (.*)")
_WHOLE_NUMBER = re.compile(r"^[+-]?\d+$")

Source = str | Path | IO[bytes]


class ResponseFileError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class ResponsesPlan:
    """Checked responses resolved to ids, ready to be written.

    A row's `item` is the id of its item in its round or, for a round still
    to be created, in the existing round that round copies; the writer maps
    those to the copies it makes. `panelist` indexes `labels`.
    """

    study: Study
    rounds_to_close: list[Round]
    # Rounds to create, in order: number -> number of the round it copies.
    rounds_to_create: dict[int, int]
    labels: list[str]
    participant_ids: dict[str, int]
    submissions: pd.DataFrame  # round, panelist
    ratings: pd.DataFrame  # round, panelist, item, rating (NaN when blank), scale_min, scale_max
    selections: pd.DataFrame  # round, panelist, item, option


def load_responses(
    *,
    study: Study,
    ratings: Source,
    not_recommended: Source | None = None,
    round_number: int | None = None,
) -> ResponsesPlan:
    """Reads and checks both files; raises ResponseFileError with every problem.

    `round_number` is the round of a wide ratings file that has no `round`
    column.
    """
    names = [_name(ratings, "ratings")]
    if not_recommended is not None:
        names.append(_name(not_recommended, "not-recommended"))
    errors = _Errors(names)
    rating_rows = _read_ratings(ratings, names[0], round_number, errors)
    selection_rows = None
    if not_recommended is not None:
        selection_rows = _read_selections(not_recommended, names[1], errors)
    plan = _Checker(study, errors).check(rating_rows, selection_rows)
    if errors:
        raise ResponseFileError(errors.report())
    return plan


def _name(source: Source, default: str) -> str:
    if isinstance(source, str | Path):
        return str(source)
    return getattr(source, "name", None) or default


class _Errors:
    """Every problem found as (file, line, reason), reported in file and line order."""

    def __init__(self, sources: list[str]):
        self._parts: list[tuple[str, np.ndarray, list[str]]] = []
        self._sources = sources

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
            text = f"{self._sources[sources[i]]}: line {lines[i]}: {reasons[i]}"
            # A wide file's row-level problem is found once per cell, side by side; say it once.
            if text != previous:
                report.append(text)
            previous = text
        return report


# -- reading ----------------------------------------------------------------


@dataclass
class _Csv:
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


def _read_csv(source: Source, name: str, errors: _Errors) -> _Csv | None:
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
    return _Csv(name=name, header=header, columns=columns, lines=lines)


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
class _Rows:
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
class _RatingRows(_Rows):
    """One rating per row, from a long file or the cells of a wide one."""

    wide: bool = False
    statement: pd.Categorical | None = None
    rating: np.ndarray | None = None  # NaN when blank


@dataclass
class _SelectionRows(_Rows):
    vignette: pd.Categorical | None = None
    option: pd.Categorical | None = None


def _rounds_and_labels(csv: _Csv, errors: _Errors) -> tuple[np.ndarray, np.ndarray]:
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


def _check_columns(csv: _Csv, expected: tuple[str, ...], errors: _Errors) -> bool:
    missing = [column for column in expected if column not in csv.header]
    extra = [column for column in csv.header if column not in expected]
    if missing:
        errors.add(csv.name, 1, f"missing column(s): {', '.join(missing)} (expected {','.join(expected)})")
    if extra:
        errors.add(csv.name, 1, f"unexpected column(s): {', '.join(extra)} (expected {','.join(expected)})")
    return not (missing or extra)


def _read_ratings(source: Source, name: str, round_number: int | None, errors: _Errors) -> _RatingRows | None:
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


def _long_ratings(csv: _Csv, errors: _Errors) -> _RatingRows | None:
    if not _check_columns(csv, RATINGS_COLUMNS, errors):
        return None
    rounds, usable = _rounds_and_labels(csv, errors)
    empty = _is_empty(csv.columns["statement"])
    errors.rows(csv.name, csv.lines[empty], ["the statement is empty"] * int(empty.sum()))
    return _RatingRows(
        name=csv.name,
        line=csv.lines,
        round=rounds,
        panelist=csv.columns["panelist"],
        usable=usable & ~empty,
        statement=csv.columns["statement"],
        rating=_ratings(csv, "rating", csv.text("statement"), errors),
    )


def _wide_ratings(csv: _Csv, round_number: int | None, errors: _Errors) -> _RatingRows | None:
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
    return _RatingRows(
        name=csv.name,
        line=np.repeat(csv.lines, width),
        round=np.repeat(rounds, width),
        panelist=pd.Categorical.from_codes(np.repeat(panelist.codes, width), categories=panelist.categories),
        usable=np.repeat(usable, width),
        wide=True,
        statement=pd.Categorical.from_codes(np.tile(np.arange(width), rows), categories=codes),
        rating=ratings.ravel(),
    )


def _ratings(csv: _Csv, column: str, statements: np.ndarray, errors: _Errors) -> np.ndarray:
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


def _read_selections(source: Source, name: str, errors: _Errors) -> _SelectionRows | None:
    csv = _read_csv(source, name, errors)
    if csv is None or not _check_columns(csv, NOT_RECOMMENDED_COLUMNS, errors):
        return None
    rounds, usable = _rounds_and_labels(csv, errors)
    for column in ("vignette", "option"):
        empty = _is_empty(csv.columns[column])
        errors.rows(csv.name, csv.lines[empty], [f"the {column} is empty"] * int(empty.sum()))
        usable &= ~empty
    return _SelectionRows(
        name=csv.name,
        line=csv.lines,
        round=rounds,
        panelist=csv.columns["panelist"],
        usable=usable,
        vignette=csv.columns["vignette"],
        option=csv.columns["option"],
    )


# -- checking against the study -------------------------------------------


def _key(*parts: tuple[np.ndarray, int]) -> np.ndarray:
    """One int64 per row from codes in 0..size-1, so that rows can be compared at once."""
    key = np.zeros(len(parts[0][0]), dtype=np.int64)
    for codes, size in parts:
        key = key * size + np.asarray(codes, dtype=np.int64)
    return key


def _repeats(key: np.ndarray, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A mask of the rows whose key an earlier row had, and that earlier row's line."""
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    repeated = first[inverse] != np.arange(len(key))
    return repeated, lines[first[inverse][repeated]]


class _Checker:
    def __init__(self, study: Study, errors: _Errors):
        self.study = study
        self.errors = errors

    def check(self, ratings: _RatingRows | None, selections: _SelectionRows | None) -> ResponsesPlan | None:
        files = [rows for rows in (ratings, selections) if rows is not None]
        self.labels = sorted(
            {label for rows in files for label in rows.panelist.categories if label and "\x00" not in label}
        )
        for rows in files:
            rows.panelist_code = np.append(pd.Index(self.labels).get_indexer(rows.panelist.categories), -1)[
                rows.panelist.codes
            ]
        self._rounds(files)
        self._load_study()
        rating_frame = self._ratings(ratings) if ratings is not None else None
        selection_frame = self._selections(selections) if selections is not None else None
        if self.errors:
            return None
        return self._plan(rating_frame, selection_frame)

    def _rounds(self, files: list[_Rows]) -> None:
        """Which rounds of the files exist, which this import makes, which are refused."""
        self.existing = {r.number: r for r in Round.objects.filter(study=self.study)}
        numbers = sorted({int(n) for rows in files for n in np.unique(rows.round[rows.usable])})
        # A missing round is made as a copy of the round before it, which
        # must exist or be made by this same import: no gaps in the numbering.
        self.to_create: dict[int, int] = {}
        self.source: dict[int, int] = {}  # round -> existing round whose items it has
        refused: dict[int, str] = {}
        for number in numbers:
            if number in self.existing:
                if self.existing[number].status == Round.Status.OPEN:
                    refused[number] = f"round {number} is open; close it before importing answers into it"
                else:
                    self.source[number] = number
            elif number - 1 in self.source:
                self.to_create[number] = number - 1
                self.source[number] = self.source[number - 1]
            elif number - 1 in refused:
                refused[number] = (
                    f"round {number} is not in the study, and round {number - 1}, which it would copy, "
                    "cannot be imported"
                )
            elif number - 1 in self.existing:
                self.to_create[number] = number - 1
                self.source[number] = number - 1
            elif number == 1:
                refused[number] = "round 1 is not in the study and there is no earlier round to copy its questions from"
            else:
                refused[number] = (
                    f"round {number} is not in the study, and neither is round {number - 1} "
                    "that it would copy its questions from"
                )
        self.rounds = sorted(self.source)
        index = np.zeros(max(numbers, default=0) + 1, dtype=np.int64)
        for i, number in enumerate(self.rounds):
            index[number] = i
        for rows in files:
            for number, reason in refused.items():
                mask = rows.usable & (rows.round == number)
                self.errors.rows(rows.name, rows.line[mask], [reason] * int(mask.sum()))
                rows.usable &= ~mask
            rows.round_code = index[np.where(rows.usable, rows.round, 0)]

    def _load_study(self) -> None:
        """The items, options and earlier answers the rows are checked against."""
        sources = set(self.source.values())
        self.items = {
            (number, code): (pk, kind, low, high)
            for pk, number, code, kind, low, high in Item.objects.filter(
                round__study=self.study, round__number__in=sources
            ).values_list("id", "round__number", "code", "type", "scale_min", "scale_max")
        }
        self.item_range = max((pk for pk, *_ in self.items.values()), default=0) + 1
        self.offered: dict[int, dict[str, int]] = {}
        for item_id, code, option_id in ItemOption.objects.filter(
            item__round__study=self.study, item__round__number__in=sources, item__type=Item.Type.NOT_RECOMMENDED
        ).values_list("item_id", "option__code", "option_id"):
            self.offered.setdefault(item_id, {})[code] = option_id
        self.option_codes = set(Option.objects.filter(study=self.study).values_list("code", flat=True))
        self.vignette_codes = set(self.study.vignettes.values_list("code", flat=True))

        existing = [n for n in self.rounds if n in self.existing]
        labels = pd.Index(self.labels)
        submitted = list(
            Submission.objects.filter(
                round__study=self.study, round__number__in=existing, participant__label__in=self.labels
            ).values_list("round__number", "participant__label")
        )
        self.submitted = _key(
            ([self.rounds.index(n) for n, _ in submitted], len(self.rounds)),
            (labels.get_indexer([label for _, label in submitted]), len(self.labels)),
        )
        # Answers of panelists who submitted are refused as a submission;
        # only the drafts of the others are left to look up one by one.
        answered = list(
            Answer.objects.filter(
                item__round__study=self.study, item__round__number__in=existing, participant__label__in=self.labels
            )
            .exclude(participant__submissions__round=F("item__round"))
            .values_list("participant__label", "item_id")
        )
        self.answered = _key(
            (labels.get_indexer([label for label, _ in answered]), len(self.labels)),
            ([item for _, item in answered], self.item_range),
        )
        self.participant_ids = dict(
            Participant.objects.filter(study=self.study, label__in=self.labels).values_list("label", "id")
        )

    def _refuse_done(self, rows: _Rows, mask: np.ndarray, items: np.ndarray, what) -> None:
        """Reports rows whose panelist already submitted the round, or whose answer exists."""
        where = np.flatnonzero(mask)
        round_code, panelist = rows.round_code[where], rows.panelist_code[where]
        submitted = np.isin(_key((round_code, len(self.rounds)), (panelist, len(self.labels))), self.submitted)
        # Answers of rounds still to be made cannot exist; their rows carry
        # the item ids of the round they copy, so they must not be looked up.
        in_existing = np.isin(rows.round[where], list(self.existing))
        answered = (
            in_existing
            & ~submitted
            & np.isin(_key((panelist, len(self.labels)), (items[where], self.item_range)), self.answered)
        )
        rounds, labels = rows.round[where], np.asarray(self.labels, dtype=object)
        self.errors.rows(
            rows.name,
            rows.line[where[submitted]],
            [
                f"panelist {label!r} has already submitted round {n}; their answers are in the database"
                for label, n in zip(labels[panelist[submitted]], rounds[submitted], strict=True)
            ],
        )
        self.errors.rows(
            rows.name,
            rows.line[where[answered]],
            [
                f"{what(i)} of panelist {label!r} in round {n} is already in the database"
                for i, label, n in zip(where[answered], labels[panelist[answered]], rounds[answered], strict=True)
            ],
        )

    def _ratings(self, rows: _RatingRows) -> pd.DataFrame:
        statements = list(rows.statement.categories)
        codes = rows.statement.codes.astype(np.int64)
        # Each (round, statement) pair is resolved once, then spread over the rows.
        shape = (max(len(self.rounds), 1), max(len(statements), 1))
        item_id = np.full(shape, -1, dtype=np.int64)
        low = np.full(shape, self.study.scale_min, dtype=np.int64)
        high = np.full(shape, self.study.scale_max, dtype=np.int64)
        for i, number in enumerate(self.rounds):
            for j, code in enumerate(statements):
                found = self.items.get((self.source[number], code))
                if found and found[1] in Item.RATED_TYPES:
                    item_id[i, j] = found[0]
                    if found[2] is not None:
                        low[i, j], high[i, j] = found[2], found[3]
        usable = rows.usable
        cell = (rows.round_code, np.where(usable, codes, 0))
        row_item = np.where(usable, item_id[cell], -1)
        unknown = usable & (row_item < 0)
        if rows.wide:
            # An unknown column is one problem of the header, not one per panelist.
            pairs = sorted({(int(n), statements[c]) for n, c in zip(rows.round[unknown], codes[unknown], strict=True)})
            self.errors.rows(
                rows.name, np.ones(len(pairs)), [f"unknown statement {c!r} in round {n}" for n, c in pairs]
            )
        else:
            self.errors.rows(
                rows.name,
                rows.line[unknown],
                [
                    f"unknown statement {statements[c]!r} in round {n}"
                    for n, c in zip(rows.round[unknown], codes[unknown], strict=True)
                ],
            )
        known = usable & ~unknown
        row_low, row_high = low[cell], high[cell]
        outside = known & ((rows.rating < row_low) | (rows.rating > row_high))
        self.errors.rows(
            rows.name,
            rows.line[outside],
            [
                f"rating {r:.0f} for {statements[c]!r} is outside the scale {lo}-{hi}"
                for r, c, lo, hi in zip(
                    rows.rating[outside], codes[outside], row_low[outside], row_high[outside], strict=True
                )
            ],
        )
        where = np.flatnonzero(known)
        repeated, first = _repeats(
            _key(
                (rows.round_code[where], len(self.rounds)),
                (rows.panelist_code[where], len(self.labels)),
                (codes[where], len(statements)),
            ),
            rows.line[where],
        )
        where = where[repeated]
        self.errors.rows(
            rows.name,
            rows.line[where],
            [
                f"duplicate row: panelist {self.labels[p]!r} already has a row for round {n} on line {f}"
                if rows.wide
                else f"duplicate answer: panelist {self.labels[p]!r} already rated {statements[c]!r} "
                f"in round {n} on line {f}"
                for p, c, n, f in zip(rows.panelist_code[where], codes[where], rows.round[where], first, strict=True)
            ],
        )
        self._refuse_done(rows, known, row_item, lambda i: f"the rating of {statements[codes[i]]!r}")
        return pd.DataFrame(
            {
                "round": rows.round[known],
                "panelist": rows.panelist_code[known],
                "item": row_item[known],
                "rating": rows.rating[known],
                "scale_min": row_low[known],
                "scale_max": row_high[known],
            }
        )

    def _selections(self, rows: _SelectionRows) -> pd.DataFrame:
        vignettes, options = list(rows.vignette.categories), list(rows.option.categories)
        v_codes, o_codes = rows.vignette.codes.astype(np.int64), rows.option.codes.astype(np.int64)
        shape = (max(len(self.rounds), 1), max(len(vignettes), 1))
        item_id = np.full(shape, -1, dtype=np.int64)
        option_id = np.full((*shape, max(len(options), 1)), -1, dtype=np.int64)
        for i, number in enumerate(self.rounds):
            for j, vignette in enumerate(vignettes):
                found = self.items.get((self.source[number], f"{vignette}{NOT_RECOMMENDED_SUFFIX}"))
                if found and found[1] == Item.Type.NOT_RECOMMENDED:
                    item_id[i, j] = found[0]
                    offered = self.offered.get(found[0], {})
                    option_id[i, j] = [offered.get(option, -1) for option in options]
        usable = rows.usable
        v_cell, o_cell = np.where(usable, v_codes, 0), np.where(usable, o_codes, 0)
        row_item = np.where(usable, item_id[rows.round_code, v_cell], -1)
        no_question = usable & (row_item < 0)
        self.errors.rows(
            rows.name,
            rows.line[no_question],
            [
                f"vignette {vignettes[v]!r} has no not-recommended question in round {n}"
                if vignettes[v] in self.vignette_codes
                else f"unknown vignette {vignettes[v]!r}"
                for v, n in zip(v_codes[no_question], rows.round[no_question], strict=True)
            ],
        )
        usable = usable & ~no_question
        row_option = np.where(usable, option_id[rows.round_code, v_cell, o_cell], -1)
        not_offered = usable & (row_option < 0)
        self.errors.rows(
            rows.name,
            rows.line[not_offered],
            [
                f"option {options[o]!r} is not offered for vignette {vignettes[v]!r} in round {n}"
                if options[o] in self.option_codes
                else f"unknown option {options[o]!r}"
                for o, v, n in zip(o_codes[not_offered], v_codes[not_offered], rows.round[not_offered], strict=True)
            ],
        )
        known = usable & ~not_offered
        where = np.flatnonzero(known)
        repeated, first = _repeats(
            _key(
                (rows.round_code[where], len(self.rounds)),
                (rows.panelist_code[where], len(self.labels)),
                (v_codes[where], len(vignettes)),
                (o_codes[where], len(options)),
            ),
            rows.line[where],
        )
        where = where[repeated]
        self.errors.rows(
            rows.name,
            rows.line[where],
            [
                f"duplicate selection: panelist {self.labels[p]!r} already chose {options[o]!r} "
                f"for vignette {vignettes[v]!r} in round {n} on line {f}"
                for p, o, v, n, f in zip(
                    rows.panelist_code[where], o_codes[where], v_codes[where], rows.round[where], first, strict=True
                )
            ],
        )
        self._refuse_done(
            rows, known, row_item, lambda i: f"the not-recommended answer for vignette {vignettes[v_codes[i]]!r}"
        )
        return pd.DataFrame(
            {
                "round": rows.round[known],
                "panelist": rows.panelist_code[known],
                "item": row_item[known],
                "option": row_option[known],
            }
        )

    def _plan(self, ratings: pd.DataFrame | None, selections: pd.DataFrame | None) -> ResponsesPlan:
        if ratings is None:
            ratings = pd.DataFrame(
                {c: np.empty(0, dtype=np.int64) for c in ("round", "panelist", "item", "scale_min", "scale_max")}
                | {"rating": np.empty(0)}
            )
        if selections is None:
            selections = pd.DataFrame({c: np.empty(0, dtype=np.int64) for c in ("round", "panelist", "item", "option")})
        # A panelist submitted a round when they appear in either file for it.
        submissions = pd.concat(
            [ratings[["round", "panelist"]], selections[["round", "panelist"]]], ignore_index=True
        ).drop_duplicates(ignore_index=True)
        return ResponsesPlan(
            study=self.study,
            rounds_to_close=[
                self.existing[n]
                for n in self.rounds
                if n in self.existing and self.existing[n].status == Round.Status.DRAFT
            ],
            rounds_to_create=self.to_create,
            labels=self.labels,
            participant_ids=self.participant_ids,
            submissions=submissions,
            ratings=ratings,
            selections=selections,
        )
