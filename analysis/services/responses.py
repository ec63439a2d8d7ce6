"""Writes of the analysis app: imported responses (SPEC 4.2)."""

from dataclasses import dataclass
from datetime import datetime
from itertools import repeat

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from analysis.files.responses import ResponsesPlan, Source, load_responses
from surveys.bulk import rows_insert
from surveys.models import Answer, AnswerOption, Item, ItemLink, Participant, Round, Study, Submission
from surveys.services.lineage import round_carry_all

# Rows per INSERT of bulk_create (SQLite lowers it to its limit of 999 parameters).
BATCH_SIZE = 2_000
ANSWER_FIELDS = ("participant", "item", "rating", "scale_min", "scale_max", "text", "answered_on")


@dataclass(frozen=True)
class ResponsesImported:
    rounds: list[int]
    rounds_created: list[int]
    rounds_closed: list[int]
    participants_created: int
    submissions: int
    ratings: int
    blanks: int
    selections: int


@transaction.atomic
def responses_import(
    *,
    study: Study,
    ratings: Source,
    not_recommended: Source | None = None,
    round_number: int | None = None,
) -> ResponsesImported:
    """Checks the response files and writes them whole, or raises ResponseFileError.

    Every panelist in a file submitted that round. A blank rating is stored
    as an answer without a rating, so the panelist counts in the round's n
    but not in that statement's. Rounds missing from the study are made as
    copies of the round before them (items carried forward, with lineage)
    and, like the existing draft rounds imported into, left closed.
    """
    # Locked so that two imports cannot both pass the checks, then both write.
    study = Study.objects.select_for_update().get(pk=study.pk)
    plan = load_responses(study=study, ratings=ratings, not_recommended=not_recommended, round_number=round_number)
    now = timezone.now()
    today = timezone.localdate(now)
    round_ids, copies = _rounds_close_and_create(plan=plan, now=now)
    participants, created = _participants(plan=plan)

    Submission.objects.bulk_create(
        (
            Submission(round_id=round_ids[number], participant_id=participant, submitted_on=today)
            for number, participant in zip(
                plan.submissions["round"].tolist(), participants[plan.submissions["panelist"]].tolist(), strict=True
            )
        ),
        batch_size=BATCH_SIZE,
    )
    day = connection.ops.adapt_datefield_value(today)
    _ratings_create(plan=plan, participants=participants, copies=copies, day=day)
    _selections_create(plan=plan, participants=participants, copies=copies, day=day)
    _statistics_refresh()
    blanks = int(plan.ratings["rating"].isna().sum())
    return ResponsesImported(
        rounds=sorted(set(plan.submissions["round"].tolist())),
        rounds_created=list(plan.rounds_to_create),
        rounds_closed=[r.number for r in plan.rounds_to_close],
        participants_created=created,
        submissions=len(plan.submissions),
        ratings=len(plan.ratings) - blanks,
        blanks=blanks,
        selections=len(plan.selections),
    )


def _rounds_close_and_create(*, plan: ResponsesPlan, now: datetime) -> tuple[dict[int, int], dict[int, dict]]:
    """Round ids by number, and for each new round its item ids by the item of an existing round it descends from.

    A new round continues the round before it, every item carried with its
    lineage, as a facilitator drafting the next round would; then it is
    closed, like the draft rounds the import writes into.
    """
    Round.objects.filter(pk__in=[r.pk for r in plan.rounds_to_close]).update(
        status=Round.Status.CLOSED, closed_at=now
    )
    rounds = {r.number: r for r in Round.objects.filter(study=plan.study)}
    copies: dict[int, dict[int, int]] = {}
    for number, template_number in plan.rounds_to_create.items():
        template = rounds[template_number]
        following = round_carry_all(round=template)
        Round.objects.filter(pk=following.pk).update(status=Round.Status.CLOSED, closed_at=now)
        rounds[number] = following
        child_of = dict(ItemLink.objects.filter(child__round=following).values_list("parent_id", "child_id"))
        earlier = copies.get(template_number)
        copies[number] = {origin: child_of[item] for origin, item in earlier.items()} if earlier else child_of
    return {number: r.pk for number, r in rounds.items()}, copies


def _participants(*, plan: ResponsesPlan) -> tuple[np.ndarray, int]:
    """Participant ids indexed like `plan.labels`, creating the missing ones."""
    missing = [label for label in plan.labels if label not in plan.participant_ids]
    created = Participant.objects.bulk_create(Participant(study=plan.study, label=label) for label in missing)
    ids = plan.participant_ids | {p.label: p.pk for p in created}
    return np.array([ids[label] for label in plan.labels], dtype=np.int64), len(created)


def _item_ids(frame: pd.DataFrame, copies: dict[int, dict[int, int]]) -> np.ndarray:
    """The rows' items, with those of new rounds moved to the copies made for them."""
    items = frame["item"].to_numpy(dtype=np.int64, copy=True)
    rounds = frame["round"].to_numpy()
    for number, mapping in copies.items():
        origins = np.fromiter(mapping.keys(), dtype=np.int64, count=len(mapping))
        order = np.argsort(origins)
        children = np.fromiter(mapping.values(), dtype=np.int64, count=len(mapping))[order]
        mask = rounds == number
        items[mask] = children[np.searchsorted(origins[order], items[mask])]
    return items


def _statistics_refresh() -> None:
    """Tells PostgreSQL's planner how big the answer tables now are.

    After a bulk load the planner still believes them nearly empty until
    autovacuum catches up, and picks nested loops that made the first export
    of a 900k-rating study ten times slower (docs/performance.md). ANALYZE may
    run inside the import's transaction. SQLite's planner needs no statistics
    for these queries.
    """
    if connection.vendor != "postgresql":
        return
    tables = (Answer, AnswerOption, Submission, Participant, Item)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in tables))


def _ratings_create(*, plan: ResponsesPlan, participants: np.ndarray, copies: dict, day) -> None:
    frame = plan.ratings
    rating = frame["rating"].to_numpy()
    blank = np.isnan(rating)
    ratings = np.where(blank, 0, rating).astype(np.int64).astype(object)
    ratings[blank] = None
    count = len(frame)
    rows_insert(
        Answer,
        ANSWER_FIELDS,
        zip(
            participants[frame["panelist"].to_numpy()].tolist(),
            _item_ids(frame, copies).tolist(),
            ratings.tolist(),
            frame["scale_min"].tolist(),
            frame["scale_max"].tolist(),
            repeat("", count),
            repeat(day, count),
            strict=True,
        ),
    )


def _selections_create(*, plan: ResponsesPlan, participants: np.ndarray, copies: dict, day) -> None:
    """One answer per panelist and not-recommended item, with a row per option chosen."""
    frame = plan.selections
    if frame.empty:
        return
    items = _item_ids(frame, copies)
    span = int(items.max()) + 1
    answers, answer_of_row = np.unique(participants[frame["panelist"].to_numpy()] * span + items, return_inverse=True)
    count = len(answers)
    rows_insert(
        Answer,
        ANSWER_FIELDS,
        zip(
            (answers // span).tolist(),
            (answers % span).tolist(),
            repeat(None, count),
            repeat(None, count),
            repeat(None, count),
            repeat("", count),
            repeat(day, count),
            strict=True,
        ),
    )
    # The ids of the answers just written, in one query.
    written = np.array(
        Answer.objects.filter(item_id__in=np.unique(items).tolist()).values_list("id", "participant_id", "item_id"),
        dtype=np.int64,
    ).reshape(-1, 3)
    keys = written[:, 1] * span + written[:, 2]
    order = np.argsort(keys)
    answer_ids = written[order[np.searchsorted(keys[order], answers)], 0]
    rows_insert(
        AnswerOption,
        ("answer", "option", "rank"),
        zip(
            answer_ids[answer_of_row].tolist(),
            frame["option"].tolist(),
            repeat(None, len(frame)),
            strict=True,
        ),
    )
