"""Reads for the facilitator's pages: completion (never answers), history, a round's items and lineage."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery

from surveys.models import (
    Answer,
    AuditEvent,
    Ballot,
    Invitation,
    Item,
    ItemLink,
    ItemOption,
    Membership,
    Round,
    Study,
)


@dataclass
class Completion:
    """Where the panel stands in a round: counts, and who has not submitted (for reminders).

    Built from memberships and the ballots' status only, never from answers.
    Once the round's results are released its ballots are gone and only the
    counts remain (SPEC 5): `waiting` is then empty and `released` true.
    """

    panel: int
    submitted: int
    drafts: int
    not_started: int
    waiting: list[Membership]
    released: bool = False

    @property
    def percent_submitted(self) -> float:
        return 100 * self.submitted / self.panel if self.panel else 0.0


def round_completion(*, round: Round) -> Completion:
    if round.results_released_at is not None and round.panel_count is not None:
        return Completion(
            panel=round.panel_count,
            submitted=round.submitted_count,
            drafts=round.draft_count,
            not_started=round.panel_count - round.submitted_count - round.draft_count,
            waiting=[],
            released=True,
        )
    status = Ballot.objects.filter(round=round, membership=OuterRef("pk")).values("status")[:1]
    members = list(
        Membership.objects.active()
        .filter(study_id=round.study_id, role=Membership.Role.PANELIST)
        .select_related("user")
        .annotate(completion=Subquery(status))
        .order_by("user__username")
    )
    submitted = sum(m.completion == Ballot.Status.SUBMITTED for m in members)
    drafts = sum(m.completion == Ballot.Status.DRAFT for m in members)
    return Completion(
        panel=len(members),
        submitted=submitted,
        drafts=drafts,
        not_started=len(members) - submitted - drafts,
        waiting=[m for m in members if m.completion != Ballot.Status.SUBMITTED],
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
    """Whether anyone may have rated on the study's scale, which then stays fixed.

    A ballot is sealed, so any ballot of the study counts, as does any counted rating.
    """
    sealed = Exists(Ballot.objects.filter(round__study=OuterRef("pk")))
    counted = Exists(Answer.objects.filter(item__round__study=OuterRef("pk"), rating__isnull=False))
    return Study.objects.filter(sealed | counted, pk=study.pk).exists()


def study_members(*, study: Study) -> list[Membership]:
    """Everyone in the study, joined or still invited, by role and name."""
    return list(Membership.objects.filter(study=study).select_related("user").order_by("role", "user__username"))


def study_invitations(*, study: Study) -> list[Invitation]:
    """The study's invitations, newest first."""
    return list(Invitation.objects.filter(study=study).order_by("-created"))


def mail_sent(*, since, study: Study, by=None) -> tuple[int, int]:
    """Mail sent since then (invitations and reminders, one per address): by this study, and by this facilitator anywhere.

    Counted from the history, which records every invitation and how many
    each reminder reached, in the transaction that queues the mail.
    """
    mailing = AuditEvent.objects.filter(
        Q(study=study) | Q(actor=by) if by is not None else Q(study=study),
        created__gte=since,
        action__in=[AuditEvent.Action.INVITE, AuditEvent.Action.REMIND],
    )
    by_study = by_facilitator = 0
    for study_id, actor_id, action, detail in mailing.values_list("study_id", "actor_id", "action", "detail"):
        mails = 1 if action == AuditEvent.Action.INVITE else int(detail.get("reminded", 0))
        by_study += mails if study_id == study.pk else 0
        by_facilitator += mails if by is not None and actor_id == by.pk else 0
    return by_study, by_facilitator

