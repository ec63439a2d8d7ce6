"""A panelist's vote: a draft kept, or a submission, sealed in their ballot on the person side (SPEC 5).

Nothing reaches the pseudonymous side while the round is open; closing the
round counts the submitted ballots (surveys.services.counting).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from surveys import ballot
from surveys.ballot import AnswerInput
from surveys.models import Ballot, Item, Membership, Round
from surveys.services import ServiceError


def _round_for_writing(*, round: Round, membership: Membership) -> Round:
    # The row lock makes a close that races this write wait for it, or win.
    round = Round.objects.select_for_update().select_related("study").get(pk=round.pk)
    if (
        membership.study_id != round.study_id
        or membership.role != Membership.Role.PANELIST
        or not membership.is_active
    ):
        raise ServiceError(_("Only the panel of this study can answer its rounds."))
    if not round.accepts_answers():
        raise ServiceError(_("This round is closed; your answers were not saved."))
    return round


def _check(*, round: Round, answers: list[AnswerInput]) -> None:
    """Refuses what no voting form could send: another round's item or option, a rating off its scale."""
    items: dict[int, dict] = {}
    # One row per item and option (a LEFT JOIN), so one query gives what to check.
    for pk, type_, scale_min, scale_max, option_id in Item.objects.filter(round=round).values_list(
        "pk", "type", "scale_min", "scale_max", "item_options__option_id"
    ):
        item = items.setdefault(pk, {"range": Item.rating_range(type_, scale_min, scale_max), "options": set()})
        if option_id is not None:
            item["options"].add(option_id)
    if len({answer.item_id for answer in answers}) != len(answers):
        raise ServiceError(_("An item is answered twice."))
    for answer in answers:
        item = items.get(answer.item_id)
        if item is None:
            raise ServiceError(_("An answer names an item that is not part of this round."))
        if any(option_id not in item["options"] for option_id, _rank in answer.options):
            raise ServiceError(_("An answer names an option that this item does not offer."))
        if answer.rating is not None and not (item["range"] and item["range"][0] <= answer.rating <= item["range"][1]):
            raise ServiceError(_("A rating lies outside the item's scale."))
        if len(answer.text) > ballot.COMMENT_MAX_LENGTH:
            raise ServiceError(
                _("A comment is longer than %(n)s characters.") % {"n": ballot.COMMENT_MAX_LENGTH}
            )


def _grow_ballots(*, round: Round, size: int) -> None:
    """Seals every ballot of the round again at a larger size, so that all keep one length."""
    ballots = list(Ballot.objects.filter(round=round))
    for sealed in ballots:
        answers = ballot.unseal(sealed=sealed.sealed, round_id=round.pk, membership_id=sealed.membership_id)
        sealed.sealed = ballot.seal(answers=answers, round_id=round.pk, membership_id=sealed.membership_id, size=size)
    Ballot.objects.bulk_update(ballots, ["sealed"])
    round.ballot_size = size
    round.save(update_fields=["ballot_size"])


def _ballot_write(*, round: Round, membership: Membership, answers: list[AnswerInput], submit: bool) -> None:
    round = _round_for_writing(round=round, membership=membership)
    _check(round=round, answers=answers)
    size = ballot.size_for(answers)
    if size > round.ballot_size:
        _grow_ballots(round=round, size=size)
    sealed = ballot.seal(answers=answers, round_id=round.pk, membership_id=membership.pk, size=round.ballot_size)
    status = Ballot.Status.SUBMITTED if submit else Ballot.Status.DRAFT
    Ballot.objects.bulk_create(
        [Ballot(round=round, membership=membership, status=status, sealed=sealed)],
        update_conflicts=True,
        unique_fields=["round", "membership"],
        # A draft saved after a submission stays submitted: it never takes a
        # panelist out of the panel whose answers count.
        update_fields=["sealed", "status"] if submit else ["sealed"],
    )


@transaction.atomic
def answers_save(*, round: Round, membership: Membership, answers: list[AnswerInput]) -> None:
    """Keeps a draft: the answers so far, sealed in the panelist's ballot."""
    _ballot_write(round=round, membership=membership, answers=answers, submit=False)


@transaction.atomic
def answers_submit(*, round: Round, membership: Membership, answers: list[AnswerInput]) -> None:
    """Seals the answers as the panelist's submission; they count when the round closes.

    Checking that every required item is answered is the form's job; this
    service refuses only what no form could let through.
    """
    _ballot_write(round=round, membership=membership, answers=answers, submit=True)
