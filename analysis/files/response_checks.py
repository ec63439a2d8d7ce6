"""Checking rows of response files against the study: codes, rounds, panelists, duplicates.

Every problem of every row is collected before anything is decided; the
result is a ResponsesPlan of ids, or nothing and the errors.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db.models import F

from analysis.files.response_rows import Errors, Rows, RatingRows, SelectionRows
from surveys.models import Answer, Item, ItemOption, Participant, Round, Study, Submission
from vignettes.models import Option

NOT_RECOMMENDED_SUFFIX = ":not-recommended"


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


class Checker:
    def __init__(self, study: Study, errors: Errors):
        self.study = study
        self.errors = errors

    def _repeated(self, rows: Rows, known: np.ndarray, *codes: tuple[np.ndarray, int]) -> tuple[np.ndarray, np.ndarray]:
        """The known rows that repeat an earlier row's round, panelist and `codes`, and that earlier row's line."""
        where = np.flatnonzero(known)
        key = _key(
            (rows.round_code[where], len(self.rounds)),
            (rows.panelist_code[where], len(self.labels)),
            *((values[where], size) for values, size in codes),
        )
        repeated, first = _repeats(key, rows.line[where])
        return where[repeated], first

    def check(self, ratings: RatingRows | None, selections: SelectionRows | None) -> ResponsesPlan | None:
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

    def _rounds(self, files: list[Rows]) -> None:
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

    def _refuse_done(self, rows: Rows, mask: np.ndarray, items: np.ndarray, what) -> None:
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

    def _ratings(self, rows: RatingRows) -> pd.DataFrame:
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
        where, first = self._repeated(rows, known, (codes, len(statements)))
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

    def _selections(self, rows: SelectionRows) -> pd.DataFrame:
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
        where, first = self._repeated(rows, known, (v_codes, len(vignettes)), (o_codes, len(options)))
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
