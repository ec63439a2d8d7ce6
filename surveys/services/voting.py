"""A panelist's vote: a draft kept, or a submission, written only against their pseudonym (SPEC 5)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.ballot import AnswerInput
from surveys.bulk import rows_delete
from surveys.models import Answer, AnswerOption, Item, Membership, Participant, Round, RoundCompletion, Submission
from surveys.services import ServiceError
from surveys.services.participants import participant_for


def _round_for_writing(*, round: Round, membership: Membership) -> Round:
    # The row lock makes a close that races this write wait for it, or win.
    round = Round.objects.select_for_update().select_related("study").get(pk=round.pk)
    if membership.study_id != round.study_id or membership.role != Membership.Role.PANELIST:
        raise ServiceError(_("Only the panel of this study can answer its rounds."))
    if not round.accepts_answers():
        raise ServiceError(_("This round is closed; your answers were not saved."))
    return round


def _answers_write(*, round: Round, participant: Participant, answers: list[AnswerInput]) -> None:
    """Replaces the participant's answers in the round, in a constant number of queries."""
    items: dict[int, dict] = {}
    # One row per item and option (a LEFT JOIN), so one query gives what to check.
    for pk, type_, scale_min, scale_max, option_id in Item.objects.filter(round=round).values_list(
        "pk", "type", "scale_min", "scale_max", "item_options__option_id"
    ):
        item = items.setdefault(pk, {"range": Item.rating_range(type_, scale_min, scale_max), "options": set()})
        if option_id is not None:
            item["options"].add(option_id)
    for answer in answers:
        item = items.get(answer.item_id)
        if item is None:
            raise ServiceError(_("An answer names an item that is not part of this round."))
        if any(option_id not in item["options"] for option_id, _rank in answer.options):
            raise ServiceError(_("An answer names an option that this item does not offer."))
        if answer.rating is not None and not (item["range"] and item["range"][0] <= answer.rating <= item["range"][1]):
            raise ServiceError(_("A rating lies outside the item's scale."))

    today = timezone.localdate()
    rows = [
        Answer(
            participant=participant,
            item_id=answer.item_id,
            rating=answer.rating,
            scale_min=rating_range[0] if (rating_range := items[answer.item_id]["range"]) else None,
            scale_max=rating_range[1] if rating_range else None,
            text=answer.text,
            answered_on=today,
        )
        for answer in answers
    ]
    mine = Answer.objects.filter(participant=participant, item__round=round)
    AnswerOption.objects.filter(answer__in=mine).delete()
    # With their options gone these rows have nothing pointing at them.
    rows_delete(mine.exclude(item_id__in=[answer.item_id for answer in answers]))
    Answer.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["participant", "item"],
        update_fields=["rating", "scale_min", "scale_max", "text", "answered_on"],
    )
    # An upsert does not return the ids of the rows it updated on every backend.
    answer_ids = dict(mine.values_list("item_id", "pk"))
    AnswerOption.objects.bulk_create(
        AnswerOption(answer_id=answer_ids[answer.item_id], option_id=option_id, rank=rank)
        for answer in answers
        for option_id, rank in answer.options
    )


@transaction.atomic
def answers_save(*, round: Round, membership: Membership, answers: list[AnswerInput]) -> None:
    """Keeps a draft: the answers so far, with no Submission.

    A panelist who has already submitted stays submitted: a draft never
    takes them out of the panel whose answers count.
    """
    round = _round_for_writing(round=round, membership=membership)
    participant = participant_for(study=round.study, user=membership.user)
    _answers_write(round=round, participant=participant, answers=answers)
    RoundCompletion.objects.bulk_create(
        [RoundCompletion(round=round, membership=membership, status=RoundCompletion.Status.DRAFT)],
        update_conflicts=True,
        unique_fields=["round", "membership"],
        update_fields=["updated_on"],
    )


@transaction.atomic
def answers_submit(*, round: Round, membership: Membership, answers: list[AnswerInput]) -> None:
    """Writes the answers and marks the round submitted, for the membership and the pseudonym.

    Checking that every required item is answered is the form's job; this
    service refuses only what no form could let through.
    """
    round = _round_for_writing(round=round, membership=membership)
    participant = participant_for(study=round.study, user=membership.user)
    _answers_write(round=round, participant=participant, answers=answers)
    today = timezone.localdate()
    RoundCompletion.objects.bulk_create(
        [RoundCompletion(round=round, membership=membership, status=RoundCompletion.Status.SUBMITTED)],
        update_conflicts=True,
        unique_fields=["round", "membership"],
        update_fields=["status", "updated_on"],
    )
    Submission.objects.bulk_create(
        [Submission(round=round, participant=participant, submitted_on=today)], ignore_conflicts=True
    )
