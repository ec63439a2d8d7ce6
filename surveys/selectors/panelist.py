"""Reads for the panelist's pages: their rounds, a round's items, their own answers."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery

from surveys import ballot
from surveys.ballot import AnswerInput
from surveys.models import Ballot, Item, ItemOption, Membership, Round, Submission
from vignettes.models import Option


def panelist_membership(*, user, slug: str) -> Membership | None:
    return (
        Membership.objects.select_related("study", "user")
        .filter(user=user, study__slug=slug, role=Membership.Role.PANELIST, is_active=True)
        .first()
    )


def panelist_round(*, membership: Membership, number: int) -> Round | None:
    """The round with its study, this member's completion status and the size of the previous round's panel."""
    return (
        Round.objects.filter(study_id=membership.study_id, number=number)
        .select_related("study")
        .annotate(
            completion_status=Subquery(
                Ballot.objects.filter(round=OuterRef("pk"), membership=membership).values("status")[:1]
            ),
            previous_panel=Subquery(
                Submission.objects.filter(round__study=OuterRef("study"), round__number=OuterRef("number") - 1)
                .order_by()
                .values("round")
                .annotate(size=Count("pk"))
                .values("size")[:1]
            ),
        )
        .first()
    )


def round_items(*, round: Round) -> list[Item]:
    """The round's items in order, with their vignette (and its base) and options.

    Each offered option says whether it was merged from others (`merged`),
    so that the feedback looks up merges only where there are some.
    """
    merges = Option.merged_from.through.objects.filter(from_option_id=OuterRef("option_id"))
    options = ItemOption.objects.select_related("option").annotate(merged=Exists(merges)).order_by("position")
    items = list(
        Item.objects.filter(round=round)
        .select_related("vignette", "vignette__base")
        .prefetch_related(Prefetch("item_options", queryset=options))
        .order_by("position", "pk")
    )
    return _as_shown(round, items)


def _as_shown(round: Round, items: list[Item]) -> list[Item]:
    """The items with the wording their round opened with (Round.shown), whatever was edited since."""
    if not round.shown:
        return items
    vignettes, options = round.shown.get("vignettes", {}), round.shown.get("options", {})
    for item in items:
        for vignette in (item.vignette, item.vignette and item.vignette.base):
            if vignette is not None and str(vignette.pk) in vignettes:
                for name, value in vignettes[str(vignette.pk)].items():
                    setattr(vignette, name, value)
        for link in item.item_options.all():
            for name, value in options.get(str(link.option_id), {}).items():
                setattr(link.option, name, value)
    return items


def ballot_answers(*, membership: Membership, round: Round) -> dict[int, AnswerInput]:
    """The member's own answers in their sealed ballot of the round, by item id; empty if they have none."""
    sealed = Ballot.objects.filter(round=round, membership=membership).values_list("sealed", flat=True).first()
    if sealed is None:
        return {}
    answers = ballot.unseal(sealed=sealed, round_id=round.pk, membership_id=membership.pk)
    return {answer.item_id: answer for answer in answers}


def answered_counts(*, user, rounds: list[Round]) -> dict[int, int]:
    """How many items of each round the user's ballot answers, by round id, in one query."""
    if not rounds:
        return {}
    sealed = Ballot.objects.filter(membership__user=user, round__in=rounds).values_list(
        "round_id", "membership_id", "sealed"
    )
    return {
        round_id: len(ballot.unseal(sealed=content, round_id=round_id, membership_id=membership_id))
        for round_id, membership_id, content in sealed
    }


def memberships_for_user(*, user) -> list[Membership]:
    """The user's memberships for the home page, each round with its item count and this user's status."""
    rounds = Round.objects.order_by("number").annotate(
        item_count=Subquery(
            Item.objects.filter(round=OuterRef("pk")).order_by().values("round").annotate(n=Count("pk")).values("n")[:1]
        ),
        completion_status=Subquery(
            Ballot.objects.filter(round=OuterRef("pk"), membership__user=user).values("status")[:1]
        ),
    )
    return list(
        Membership.objects.active()
        .filter(user=user)
        .select_related("study")
        .prefetch_related(Prefetch("study__rounds", queryset=rounds))
        .order_by("study__title")
    )
