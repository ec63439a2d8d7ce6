"""Writes of the analysis app: imported responses (SPEC 4.2).

Imported answers are pseudonymous already. They are written as the ballot
box counts a round (surveys.services.counting): every table of the import
in one random order, in one transaction, with no date (SPEC 5).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from analysis.files.responses import ResponsesPlan, Source, load_responses
from analysis.services.figures import round_figures_refresh
from surveys.bulk import rows_insert, statistics_refresh
from surveys.models import Answer, AnswerOption, Item, ItemLink, Participant, Round, Study, Submission
from surveys.services.lineage import round_carry_all

# Rows per INSERT of bulk_create (SQLite lowers it to its limit of 999 parameters).
BATCH_SIZE = 2_000
ANSWER_FIELDS = ("participant", "item", "rating", "scale_min", "scale_max", "text")


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
    places: dict[str, list[str]] | None = None,
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
    plan = load_responses(
        study=study, ratings=ratings, not_recommended=not_recommended, round_number=round_number, places=places
    )
    now = timezone.now()
    shuffled = np.random.default_rng(secrets.randbits(128)).permutation
    round_ids, copies = _rounds_close_and_create(plan=plan, now=now)
    participants, created = _participants(plan=plan, shuffled=shuffled)
    order = shuffled(len(plan.submissions))
    Submission.objects.bulk_create(
        (
            Submission(round_id=round_ids[number], participant_id=participant)
            for number, participant in zip(
                plan.submissions["round"].to_numpy()[order].tolist(),
                participants[plan.submissions["panelist"].to_numpy()[order]].tolist(),
                strict=True,
            )
        ),
        batch_size=BATCH_SIZE,
    )
    _answers_create(plan=plan, participants=participants, copies=copies, shuffled=shuffled)
    # No ballots stand behind these answers, so these rounds can never be counted again.
    Round.objects.filter(pk__in=[round_ids[n] for n in set(plan.submissions["round"].tolist())]).update(
        answers_imported=True
    )
    statistics_refresh((Answer, AnswerOption, Submission, Participant, Item))
    rounds = sorted(set(plan.submissions["round"].tolist()))
    if rounds:
        round_figures_refresh(study=study, from_number=rounds[0])
    blanks = int(plan.ratings["rating"].isna().sum())
    return ResponsesImported(
        rounds=rounds,
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


def _participants(*, plan: ResponsesPlan, shuffled) -> tuple[np.ndarray, int]:
    """Participant ids indexed like `plan.labels`, creating the missing ones in a random order."""
    missing = [label for label in plan.labels if label not in plan.participant_ids]
    missing = [missing[i] for i in shuffled(len(missing))]
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


def _answers_create(*, plan: ResponsesPlan, participants: np.ndarray, copies: dict, shuffled) -> None:
    """The rated answers and one answer per panelist and not-recommended item, in one random order; then the options."""
    ratings, selections = plan.ratings, plan.selections
    rating = ratings["rating"].to_numpy()
    blank = np.isnan(rating)
    values = np.where(blank, 0, rating).astype(np.int64).astype(object)
    values[blank] = None
    rated_items = _item_ids(ratings, copies)
    if selections.empty:
        selected_items = chosen = answer_of_row = np.array([], dtype=np.int64)
        span = 1
    else:
        selected_items = _item_ids(selections, copies)
        span = int(selected_items.max()) + 1
        chosen, answer_of_row = np.unique(
            participants[selections["panelist"].to_numpy()] * span + selected_items, return_inverse=True
        )
    count = len(chosen)
    columns = [
        np.concatenate([participants[ratings["panelist"].to_numpy()], chosen // span]).astype(object),
        np.concatenate([rated_items, chosen % span]).astype(object),
        np.concatenate([values, np.full(count, None, dtype=object)]),
        np.concatenate([ratings["scale_min"].to_numpy(dtype=object), np.full(count, None, dtype=object)]),
        np.concatenate([ratings["scale_max"].to_numpy(dtype=object), np.full(count, None, dtype=object)]),
        np.full(len(ratings) + count, "", dtype=object),
    ]
    order = shuffled(len(ratings) + count)
    rows_insert(Answer, ANSWER_FIELDS, zip(*(column[order].tolist() for column in columns), strict=True))
    if selections.empty:
        return
    # The ids of the selection answers just written, in one query.
    written = np.array(
        Answer.objects.filter(item_id__in=np.unique(selected_items).tolist()).values_list(
            "id", "participant_id", "item_id"
        ),
        dtype=np.int64,
    ).reshape(-1, 3)
    keys = written[:, 1] * span + written[:, 2]
    by_key = np.argsort(keys)
    answer_ids = written[by_key[np.searchsorted(keys[by_key], chosen)], 0]
    order = shuffled(len(selections))
    rows_insert(
        AnswerOption,
        ("answer", "option", "rank"),
        ((answer, option, None) for answer, option in zip(
            answer_ids[answer_of_row][order].tolist(), selections["option"].to_numpy()[order].tolist(), strict=True
        )),
    )
