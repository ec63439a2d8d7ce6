"""Reads for the panelist's pages: their rounds, a round's items, their own answers."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery

from surveys.models import (
    Answer,
    AnswerOption,
    Item,
    ItemLink,
    ItemOption,
    Membership,
    Round,
    RoundCompletion,
    Submission,
)
from surveys.pseudonyms import participant_link_hash


def panelist_membership(*, user, slug: str) -> Membership | None:
    return (
        Membership.objects.select_related("study", "user")
        .filter(user=user, study__slug=slug, role=Membership.Role.PANELIST)
        .first()
    )


def panelist_round(*, membership: Membership, number: int) -> Round | None:
    """The round with its study, this member's completion status and the size of the previous round's panel."""
    return (
        Round.objects.filter(study_id=membership.study_id, number=number)
        .select_related("study")
        .annotate(
            completion_status=Subquery(
                RoundCompletion.objects.filter(round=OuterRef("pk"), membership=membership).values("status")[:1]
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
    """The round's items in order, with their vignette (and its base), options and lineage."""
    first_parent = ItemLink.objects.filter(child=OuterRef("pk")).order_by("parent_id")
    return list(
        Item.objects.filter(round=round)
        .select_related("vignette", "vignette__base")
        .prefetch_related(
            Prefetch("item_options", queryset=ItemOption.objects.select_related("option").order_by("position"))
        )
        .annotate(
            has_parent=Exists(first_parent),
            parent_text=Subquery(first_parent.values("parent__text")[:1]),
        )
        .order_by("position", "pk")
    )


def answers_of(*, user, round: Round) -> dict[int, Answer]:
    """The user's own answers in the round by item id, with their options."""
    link_hash = participant_link_hash(study_id=round.study_id, user_id=user.pk)
    answers = Answer.objects.filter(
        participant__study_id=round.study_id, participant__link_hash=link_hash, item__round=round
    ).prefetch_related(Prefetch("chosen", queryset=AnswerOption.objects.order_by("rank", "pk")))
    return {answer.item_id: answer for answer in answers}


def answered_counts(*, user, rounds: list[Round]) -> dict[int, int]:
    """How many items of each round the user has answered, by round id, in one query."""
    if not rounds:
        return {}
    mine = Q()
    for study_id in {round.study_id for round in rounds}:
        mine |= Q(
            participant__study_id=study_id,
            participant__link_hash=participant_link_hash(study_id=study_id, user_id=user.pk),
        )
    return dict(
        Answer.objects.filter(mine, item__round__in=rounds)
        .order_by()
        .values("item__round")
        .annotate(count=Count("pk"))
        .values_list("item__round", "count")
    )


def memberships_for_user(*, user) -> list[Membership]:
    """The user's memberships for the home page, each round with its item count and this user's status."""
    rounds = Round.objects.order_by("number").annotate(
        item_count=Subquery(
            Item.objects.filter(round=OuterRef("pk")).order_by().values("round").annotate(n=Count("pk")).values("n")[:1]
        ),
        completion_status=Subquery(
            RoundCompletion.objects.filter(round=OuterRef("pk"), membership__user=user).values("status")[:1]
        ),
    )
    return list(
        Membership.objects.filter(user=user)
        .select_related("study")
        .prefetch_related(Prefetch("study__rounds", queryset=rounds))
        .order_by("study__title")
    )
