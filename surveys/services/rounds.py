"""A round's life: added as a draft, opened, extended, closed, its results released; reminders while open.

Every step locks the round's row, so two facilitators acting at once, or a
close racing a vote, are applied one after the other.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import AuditEvent, Ballot, Membership, Round, Study
from surveys.services import ServiceError
from surveys.services.audit import audit_record, moment
from surveys.services.counting import round_count, round_uncount
from surveys.services.mail_quota import mail_quota_check
from surveys.signals import answers_counted
from surveys.tasks import reminders_mail, round_news_mail, scheduled_reminders

# Panelists per queued mail task: a panel of 500 is five tasks, not 500.
REMINDER_BATCH = 100


def round_locked(round: Round) -> Round:
    """The round's row, locked until the caller's transaction ends."""
    return Round.objects.select_for_update().select_related("study").get(pk=round.pk)


@transaction.atomic
def round_add(*, study: Study, kind: str, by=None) -> Round:
    """A new, empty draft round after the study's last one, to build item by item."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    last = study.rounds.order_by("-number").first()
    if last is not None and last.status != Round.Status.CLOSED:
        raise ServiceError(
            _("Round %(number)s is still %(status)s; close it first.")
            % {"number": last.number, "status": last.get_status_display().lower()}
        )
    number = last.number + 1 if last else 1
    round = Round.objects.create(study=study, number=number, kind=kind)
    audit_record(
        study=study,
        by=by,
        action=AuditEvent.Action.EDIT,
        summary=f"Added round {number} ({round.get_kind_display().lower()})",
        detail={"round": number},
    )
    return round


@transaction.atomic
def round_delete(*, round: Round, by=None) -> int:
    """Deletes a round that has not opened, with its items, so it can be built or drafted again; returns its number.

    Only a draft goes: once a round has opened, what the panel was asked is
    on record. A draft is always the study's last round (round_add), so the
    numbering keeps no gap.
    """
    round = round_locked(round)
    if round.status != Round.Status.DRAFT:
        raise ServiceError(
            _("Round %(number)s has opened; what the panel was asked stays on record.") % {"number": round.number}
        )
    number, items = round.number, round.items.count()
    round.delete()
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.EDIT,
        summary=f"Deleted draft round {number} ({items} item(s))",
        detail={"round": number, "items": items},
    )
    return number


# The farthest ahead of a deadline a reminder may be set.
MAX_REMINDER_DAYS = 60


@transaction.atomic
def round_open(
    *, round: Round, deadline: datetime | None = None, reminder_days: Sequence[int] = (), by=None
) -> Round:
    """Opens a draft round for voting, and tells the panel, with the deadline.

    `reminder_days` (e.g. 3, 1) schedule a reminder that many days before the
    deadline, to whoever has not submitted by then (tasks.scheduled_reminders).

    A closed round may open again (closed by mistake, or to let late votes
    in) until its results are released to the panel. Its count is taken
    back, every ballot stays as it was, and the next close counts afresh.
    A round whose answers came from a response file has no ballots, so it
    stays closed.
    """
    round = round_locked(round)
    if round.status == Round.Status.OPEN:
        raise ServiceError(_("Round %(number)s is already open.") % {"number": round.number})
    if round.results_released_at is not None:
        raise ServiceError(
            _("Round %(number)s's results are released; it cannot open again.") % {"number": round.number}
        )
    if round.answers_imported:
        raise ServiceError(
            _("Round %(number)s's answers were imported from a file; it cannot open again.") % {"number": round.number}
        )
    if not round.items.exists():
        raise ServiceError(_("Round %(number)s has no items yet.") % {"number": round.number})
    if deadline is not None and deadline <= timezone.now():
        raise ServiceError(_("The deadline must lie in the future."), field="deadline")
    reminder_days = sorted(set(reminder_days), reverse=True)
    if reminder_days and deadline is None:
        raise ServiceError(_("Reminders before the deadline need a deadline."), field="reminder_days")
    if any(not 1 <= days <= MAX_REMINDER_DAYS for days in reminder_days):
        raise ServiceError(
            _("Give days from 1 to %(most)s before the deadline.") % {"most": MAX_REMINDER_DAYS}, field="reminder_days"
        )
    reopened = round.status == Round.Status.CLOSED
    if reopened:
        round_uncount(round=round)
    # The protocol is fixed from the moment the panel first sees a question.
    locks = round.study.protocol_locked_at is None
    if locks:
        round.study.protocol_locked_at = timezone.now()
        round.study.save(update_fields=["protocol_locked_at"])
    round.status = Round.Status.OPEN
    round.opened_at = round.opened_at if reopened else timezone.now()
    round.closed_at = None
    round.deadline = deadline
    round.reminder_days = reminder_days
    if not reopened:
        round.shown = _wording(round)
    round.save(update_fields=["status", "opened_at", "closed_at", "deadline", "reminder_days", "shown"])
    if not reopened:
        _panel_tell(round, "opened")
    _reminders_schedule(round)
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.OPEN,
        summary=f"{'Reopened' if reopened else 'Opened'} round {round.number}"
        + (f" until {moment(deadline, round.study)}" if deadline else ", no deadline")
        + ("; the protocol is locked" if locks else ""),
        detail={"round": round.number, "deadline": deadline.isoformat() if deadline else None},
    )
    return round


@transaction.atomic
def round_extend(*, round: Round, deadline: datetime, by=None) -> Round:
    """Moves an open round's deadline later."""
    round = round_locked(round)
    if round.status != Round.Status.OPEN:
        raise ServiceError(_("Only an open round's deadline can be extended."))
    if deadline <= timezone.now():
        raise ServiceError(_("The new deadline must lie in the future."), field="deadline")
    if round.deadline is not None and deadline <= round.deadline:
        raise ServiceError(_("The new deadline must be later than the current one."), field="deadline")
    previous = round.deadline
    round.deadline = deadline
    round.save(update_fields=["deadline"])
    # The reminders scheduled for the old deadline see it moved, and send nothing.
    _reminders_schedule(round)
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.EXTEND,
        summary=f"Extended round {round.number} until {moment(deadline, round.study)}",
        detail={"round": round.number, "from": previous.isoformat() if previous else None, "to": deadline.isoformat()},
    )
    return round


@transaction.atomic
def round_close(*, round: Round, by=None) -> Round:
    """Closes an open round and counts its ballots, in one transaction.

    The row lock makes a vote in flight either land first or be refused.
    """
    round = round_locked(round)
    if round.status != Round.Status.OPEN:
        raise ServiceError(_("Round %(number)s is not open.") % {"number": round.number})
    round.status = Round.Status.CLOSED
    round.closed_at = timezone.now()
    round.save(update_fields=["status", "closed_at"])
    counted = round_count(round=round)
    answers_counted.send(sender=Round, study=round.study, from_number=round.number)
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.CLOSE,
        summary=f"Closed round {round.number}; {counted} submitted ballot(s) counted",
        detail={"round": round.number, "counted": counted},
    )
    return round


@transaction.atomic
def round_results_release(*, round: Round, by=None) -> Round:
    """Shows a closed round's group results to the panel. After this the round cannot reopen.

    Its ballots, drafts included, have no more use and are deleted, and its
    completion shrinks to counts: who alone skipped it is no longer on record.
    """
    round = round_locked(round)
    if round.status != Round.Status.CLOSED:
        raise ServiceError(_("Close the round before releasing its results."))
    if round.results_released_at is not None:
        raise ServiceError(_("These results are already released."))
    statuses = list(Ballot.objects.filter(round=round).values_list("status", flat=True))
    round.panel_count = Membership.objects.active().filter(study=round.study, role=Membership.Role.PANELIST).count()
    round.submitted_count = statuses.count(Ballot.Status.SUBMITTED)
    round.draft_count = statuses.count(Ballot.Status.DRAFT)
    round.results_released_at = timezone.now()
    # The verdicts the panel now sees stay the ones it saw (Round.study_as_shown).
    round.protocol = round.study.protocol()
    round.save(update_fields=["results_released_at", "panel_count", "submitted_count", "draft_count", "protocol"])
    Ballot.objects.filter(round=round).delete()
    _panel_tell(round, "released")
    audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.RELEASE,
        summary=f"Released the results of round {round.number} to the panel",
        detail={"round": round.number},
    )
    return round


def _wording(round: Round) -> dict:
    """The wording of the vignettes (with their bases) and options the round's items show, as Round.shown keeps it."""
    vignettes, options = {}, {}
    for item in round.items.select_related("vignette", "vignette__base").prefetch_related("item_options__option"):
        for vignette in (item.vignette, item.vignette and item.vignette.base):
            if vignette is not None:
                vignettes[str(vignette.pk)] = {"title": vignette.title, "text": vignette.text, "change": vignette.change}
        for link in item.item_options.all():
            options[str(link.option_id)] = {"name": link.option.name, "short": link.option.short}
    return {"vignettes": vignettes, "options": options}


def _panel_tell(round: Round, news: str) -> None:
    """Queues the fixed mail of this news (tasks.NEWS) to the study's panel, once the transaction commits."""
    panel = list(
        Membership.objects.active()
        .filter(study=round.study, role=Membership.Role.PANELIST)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(panel), REMINDER_BATCH):
        batch = panel[start : start + REMINDER_BATCH]
        transaction.on_commit(
            lambda batch=batch: round_news_mail.enqueue(round_id=round.pk, news=news, membership_ids=batch)
        )


def _reminders_schedule(round: Round) -> None:
    """Queues the round's reminders for their times before its deadline; those already past are not sent.

    A task backend that cannot wait (the immediate one of development) would
    send them at once, so it schedules none.
    """
    if not round.reminder_days or round.deadline is None or not scheduled_reminders.get_backend().supports_defer:
        return
    now = timezone.now()
    for days in round.reminder_days:
        when = round.deadline - timedelta(days=days)
        if when > now:
            transaction.on_commit(
                lambda when=when, days=days: scheduled_reminders.using(run_after=when).enqueue(
                    round_id=round.pk, deadline=round.deadline.isoformat(), days=days
                )
            )


@transaction.atomic
def reminders_send(*, round: Round, note: str = "", by=None) -> int:
    """Queues a reminder to every panelist who has not submitted the round; returns how many.

    The mail is the fixed reminder (it names the study, the round and the
    platform, and links to the round); the facilitator's `note` goes inside.
    Who is reminded comes from the ballots' status, never from answers. The
    history records how many were reminded, not who (SPEC 5), and the note;
    the queued tasks carry membership ids and that record's id. The mail
    limits are checked first (services.mail_quota).
    """
    round = round_locked(round)
    if round.status != Round.Status.OPEN:
        raise ServiceError(_("Reminders go out only while the round is open."))
    submitted = Ballot.objects.filter(round=round, status=Ballot.Status.SUBMITTED).values("membership_id")
    waiting = list(
        Membership.objects.active()
        .filter(study=round.study, role=Membership.Role.PANELIST)
        .exclude(pk__in=submitted)
        .order_by("pk")
        .values_list("pk", "user__email")
    )
    if not waiting:
        raise ServiceError(_("Everyone on the panel has submitted this round."))
    reachable = [pk for pk, email in waiting if email]
    mail_quota_check(study=round.study, by=by, count=len(reachable))
    event = audit_record(
        study=round.study,
        by=by,
        action=AuditEvent.Action.REMIND,
        summary=f"Reminded {len(reachable)} panelist(s) who had not submitted round {round.number}",
        detail={
            "round": round.number,
            "reminded": len(reachable),
            "without_email": len(waiting) - len(reachable),
            "note": note,
        },
    )
    for start in range(0, len(reachable), REMINDER_BATCH):
        batch = reachable[start : start + REMINDER_BATCH]
        transaction.on_commit(
            lambda batch=batch: reminders_mail.enqueue(round_id=round.pk, membership_ids=batch, event_id=event.pk)
        )
    return len(reachable)
