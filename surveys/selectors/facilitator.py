"""Reads for the facilitator's pages: completion (never answers), history, a round's items and lineage."""

from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, Subquery

from surveys.models import (
    Answer,
    AuditEvent,
    Invitation,
    Item,
    ItemLink,
    ItemOption,
    Membership,
    Round,
    RoundCompletion,
    Study,
)


@dataclass
class Completion:
    """Where the panel stands in a round: counts, and who has not submitted (for reminders).

    Built from memberships and RoundCompletion only, never from answers (SPEC 5).
    """

    panel: int
    submitted: int
    drafts: int
    not_started: int
    waiting: list[Membership]

    @property
    def percent_submitted(self) -> float:
        return 100 * self.submitted / self.panel if self.panel else 0.0


def round_completion(*, round: Round) -> Completion:
    status = RoundCompletion.objects.filter(round=round, membership=OuterRef("pk")).values("status")[:1]
    members = list(
        Membership.objects.filter(study_id=round.study_id, role=Membership.Role.PANELIST)
        .select_related("user")
        .annotate(completion=Subquery(status))
        .order_by("user__username")
    )
    submitted = sum(m.completion == RoundCompletion.Status.SUBMITTED for m in members)
    drafts = sum(m.completion == RoundCompletion.Status.DRAFT for m in members)
    return Completion(
        panel=len(members),
        submitted=submitted,
        drafts=drafts,
        not_started=len(members) - submitted - drafts,
        waiting=[m for m in members if m.completion != RoundCompletion.Status.SUBMITTED],
    )


def study_history(*, study: Study) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(study=study).select_related("actor"))


def round_items_with_lineage(*, round: Round) -> list[Item]:
    """The round's items in order, each with the item(s) of the round before that it continues."""
    return list(
        Item.objects.filter(round=round)
        .select_related("vignette")
        .prefetch_related(Prefetch("parent_links", queryset=ItemLink.objects.select_related("parent")))
        .order_by("position", "pk")
    )


def round_item(*, round: Round, pk: int) -> Item | None:
    """One item of the round, with its round, options in order and the items it continues."""
    return (
        Item.objects.filter(round=round, pk=pk)
        .select_related("round__study", "vignette")
        .prefetch_related(
            Prefetch("item_options", queryset=ItemOption.objects.select_related("option").order_by("position")),
            Prefetch("parent_links", queryset=ItemLink.objects.select_related("parent__round")),
        )
        .first()
    )


def study_has_ratings(*, study: Study) -> bool:
    """Whether anyone has rated on the study's scale, which then stays fixed."""
    return Answer.objects.filter(item__round__study=study, rating__isnull=False).exists()


def study_invitations(*, study: Study) -> list[Invitation]:
    """The study's invitations, newest first."""
    return list(Invitation.objects.filter(study=study).order_by("-created"))
