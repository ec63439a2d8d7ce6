"""Reads of a round's raw answers, the rows of SPEC 4.2's files, for their downloads (analysis.streams)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce

from analysis.selectors import frame, whole_number_chunks
from surveys.models import Answer, AnswerOption, Item, Round, Submission

RAW_RATING_COLUMNS = ["round", "panelist", "statement", "rating"]
RAW_SELECTION_COLUMNS = ["round", "panelist", "vignette", "option"]


def raw_ratings(*, round: Round) -> QuerySet:
    """SPEC 4.2 ratings.csv rows of the round, as tuples of RAW_RATING_COLUMNS (a blank rating is None)."""
    rows = Answer.objects.filter(
        item__round=round,
        item__type__in=Item.RATED_TYPES,
        participant__submissions__round=F("item__round"),
    )
    return rows.order_by("participant__label", "item__position", "item_id").values_list(
        "item__round__number", "participant__label", "item__code", "rating"
    )


# A blank rating in round_ratings: below any point a SmallIntegerField holds.
BLANK_RATING = -32_769


def round_ratings(*, round: Round) -> Iterator[np.ndarray]:
    """participant id, item id and rating of every answer to a rated item of the round, in no order.

    Arrays of whole numbers (whole_number_chunks), a blank rating as
    BLANK_RATING. The database reads them in one pass over the index on
    (item, rating, participant), without a row of the answer table. Answers
    of a panelist who did not submit the round are among them.
    """
    return whole_number_chunks(
        Answer.objects.filter(item__round=round, item__type__in=Item.RATED_TYPES)
        .order_by()
        .values_list("participant_id", "item_id", Coalesce("rating", Value(BLANK_RATING)))
    )


def rated_item_codes(*, round: Round) -> list[tuple[int, str]]:
    """(id, code) of the round's rated items, in the order of the raw rows."""
    return list(
        Item.objects.filter(round=round, type__in=Item.RATED_TYPES).order_by("position", "pk").values_list("pk", "code")
    )


def submitters_labelled(*, round: Round) -> list[tuple[int, str]]:
    """(id, pseudonym) of the participants who submitted the round, in the order of their pseudonyms."""
    return list(
        Submission.objects.filter(round=round)
        .order_by("participant__label")
        .values_list("participant_id", "participant__label")
    )


def raw_selections(*, round: Round, participants: Sequence[int] | None = None) -> QuerySet:
    """SPEC 4.2 not_recommended.csv rows of the round, as tuples of RAW_SELECTION_COLUMNS.

    `participants` (ids) narrows them to those panelists, in the same order.
    """
    rows = AnswerOption.objects.filter(
        answer__item__round=round,
        answer__item__type=Item.Type.NOT_RECOMMENDED,
        answer__participant__submissions__round=F("answer__item__round"),
    )
    if participants is not None:
        rows = rows.filter(answer__participant_id__in=participants)
    return rows.order_by("answer__participant__label", "answer__item__position", "option__position").values_list(
        "answer__item__round__number", "answer__participant__label", "answer__item__vignette__code", "option__code"
    )


def raw_ratings_frame(*, round: Round) -> pd.DataFrame:
    return frame(raw_ratings(round=round), RAW_RATING_COLUMNS)


def raw_selections_frame(*, round: Round) -> pd.DataFrame:
    return frame(raw_selections(round=round), RAW_SELECTION_COLUMNS)
