"""The ballot box counted (SPEC 5): at close, the submitted ballots become the round's pseudonymous rows.

Counting happens inside round_close's transaction, so every pseudonymous row
of the round shares one transaction, and writes them in one shuffled order,
so their ids, SQLite rowids and PostgreSQL heap order are random:

1. every submitted ballot is opened with BALLOT_KEY;
2. each submitter's pseudonym is found through the keyed link, and those who
   have none yet get one from one shuffled batch of labels;
3. submissions, answers and chosen options are written, each table in its
   own random order across the whole panel.

Drafts that were never submitted are not counted; they stay sealed on the
person side for a reopen. A reopen takes the round's pseudonymous rows away
again (uncount), with the pseudonyms it made, so that the next close counts
the whole round afresh in a new shuffle.
"""

import secrets

import numpy as np
from django.utils.translation import gettext as _

from surveys import ballot
from surveys.bulk import rows_delete, rows_insert, statistics_refresh
from surveys.models import Answer, AnswerOption, Ballot, Item, Participant, Round, RoundFigures, Submission
from surveys.pseudonyms import free_labels, participant_link_hash
from surveys.services import ServiceError

ANSWER_FIELDS = ("participant", "item", "rating", "scale_min", "scale_max", "text")
# Above this many answers, PostgreSQL's planner is told the tables' new size at once.
ANALYZE_AFTER = 50_000


def _shuffle(rows: list) -> list:
    secrets.SystemRandom().shuffle(rows)
    return rows


def _submitted(round: Round) -> list[tuple[int, list[ballot.AnswerInput]]]:
    """(user id, answers) of every submitted ballot of the round."""
    opened = []
    for membership_id, user_id, sealed in Ballot.objects.filter(round=round, status=Ballot.Status.SUBMITTED).values_list(
        "membership_id", "membership__user_id", "sealed"
    ):
        try:
            answers = ballot.unseal(sealed=sealed, round_id=round.pk, membership_id=membership_id)
        except ballot.BallotUnreadable:
            raise ServiceError(
                _("A ballot of round %(number)s cannot be opened with this BALLOT_KEY; nothing was counted.")
                % {"number": round.number}
            ) from None
        opened.append((user_id, answers))
    return opened


def _pseudonyms(round: Round, user_ids: list[int]) -> dict[int, int]:
    """Participant id by user id, the missing pseudonyms made in one shuffled batch."""
    study_id = round.study_id
    links = {user_id: participant_link_hash(study_id=study_id, user_id=user_id) for user_id in user_ids}
    known = dict(Participant.objects.filter(study_id=study_id, link_hash__in=links.values()).values_list("link_hash", "pk"))
    missing = _shuffle([link for link in links.values() if link not in known])
    taken = set(Participant.objects.filter(study_id=study_id).values_list("label", flat=True))
    labels = _shuffle(free_labels(taken=taken, count=len(missing)))
    created = Participant.objects.bulk_create(
        Participant(study_id=study_id, label=label, link_hash=link) for label, link in zip(labels, missing)
    )
    known |= {participant.link_hash: participant.pk for participant in created}
    return {user_id: known[link] for user_id, link in links.items()}


def round_count(*, round: Round) -> int:
    """Writes the round's submitted ballots as pseudonymous rows; returns how many were counted.

    The caller holds the round's row lock inside its transaction.
    """
    opened = _submitted(round)
    participant_of = _pseudonyms(round, [user_id for user_id, _answers in opened])
    items = dict(Item.objects.filter(round=round).values_list("pk", "type"))
    ranges = {
        pk: Item.rating_range(type_, low, high)
        for pk, type_, low, high in Item.objects.filter(round=round).values_list("pk", "type", "scale_min", "scale_max")
    }
    Submission.objects.bulk_create(
        Submission(round=round, participant_id=participant_of[user_id]) for user_id, _a in _shuffle(list(opened))
    )
    answers = _shuffle(
        [(participant_of[user_id], answer) for user_id, mine in opened for answer in mine if answer.item_id in items]
    )
    rows_insert(
        Answer,
        ANSWER_FIELDS,
        (
            (
                participant,
                answer.item_id,
                answer.rating,
                *(ranges[answer.item_id] or (None, None)),
                answer.text,
            )
            for participant, answer in answers
        ),
    )
    chosen = [(participant, answer) for participant, answer in answers if answer.options]
    if chosen:
        written = np.array(
            Answer.objects.filter(item__round=round).values_list("pk", "participant_id", "item_id"), dtype=np.int64
        ).reshape(-1, 3)
        answer_id = {(int(p), int(i)): int(pk) for pk, p, i in written}
        options = _shuffle(
            [
                (answer_id[(participant, answer.item_id)], option, rank)
                for participant, answer in chosen
                for option, rank in answer.options
            ]
        )
        rows_insert(AnswerOption, ("answer", "option", "rank"), options)
    if len(answers) > ANALYZE_AFTER:
        statistics_refresh((Answer, AnswerOption, Submission, Participant))
    return len(opened)


def round_uncount(*, round: Round) -> None:
    """Takes a counted round's pseudonymous rows away, and the pseudonyms made for it alone.

    The figures stored from them go too, and those of later rounds, which reach back to this one.
    """
    RoundFigures.objects.filter(round__study_id=round.study_id, round__number__gte=round.number).delete()
    rows_delete(AnswerOption.objects.filter(answer__item__round=round))
    rows_delete(Answer.objects.filter(item__round=round))
    Submission.objects.filter(round=round).delete()
    Participant.objects.filter(study_id=round.study_id, submissions__isnull=True, link_hash__isnull=False).delete()
