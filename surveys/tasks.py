"""Mail to the panel, through the task queue (settings.TASKS).

A queued task carries ids only: never a token, an address list or a mail
body, so the task table of a database copy holds nothing to sign in with
(SPEC 5). The worker builds each mail when it sends it, from fixed templates
that name the study and the platform, with links from SITE_URL. An
invitation's or a password reset's token is made here, at sending: only an
invitation token's hash is stored, and a reset token is Django's, checked
against the account and never stored.

A mail the server refuses is never dropped: the rest of the batch still
goes, the invitation records why and when it is tried again, and the worker
tries again later, up to RETRY_DELAYS; the invitations page shows all of it.
A finished task's row is deleted as soon as it has succeeded; a failed one
stays for the operator (docs/deploy.md).
"""

import logging
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import TaskResultStatus, task
from django_tasks.signals import task_finished
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from surveys.models import AuditEvent, Ballot, Invitation, Membership, Round
from surveys.services.audit import audit_record
from vignettes.validators import first_link

logger = logging.getLogger(__name__)

# Panelists per queued mail task.
MAIL_BATCH = 100

# After a failed send, the next tries: five in all, over about half a day.
RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=12))


def site_link(path: str) -> str:
    """An absolute link to a page of the site, from the configured SITE_URL."""
    return settings.SITE_URL.rstrip("/") + path


def _subject(template: str, context: dict) -> str:
    """A subject on one line: a header cannot hold a line break, whatever a title holds."""
    return " ".join(render_to_string(template, context).split())


def _reason(error: Exception) -> str:
    """Why a mail did not go, as the facilitator's page says it; the server's own words go to the log only."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "The mail server refused this address."
    if isinstance(error, smtplib.SMTPException):
        return "The mail server refused the mail."
    if isinstance(error, OSError):
        return "The mail server could not be reached."
    return "The mail could not be sent."


def _retry_at(attempts: int):
    """When to try again after this many tries, or None: no more tries, or a backend that cannot wait."""
    if attempts > len(RETRY_DELAYS) or not invitations_mail.get_backend().supports_defer:
        return None
    return timezone.now() + RETRY_DELAYS[attempts - 1]


@task()
def invitations_mail(*, invitation_ids: list[int]) -> int:
    """Makes each pending invitation's single-use token and mails its link; returns how many were sent."""
    sent, retry = 0, {}
    for pk in invitation_ids:
        try:
            sent += _invitation_send(pk)
        except Exception as error:  # whatever the mail server or the network says, the others still go
            logger.warning("Invitation %s not sent: %s: %s", pk, type(error).__name__, error)
            invitation = Invitation.objects.filter(pk=pk).first()
            if invitation is None:  # removed with its member meanwhile
                continue
            invitation.send_attempts += 1
            invitation.send_error = _reason(error)
            # One time per number of tries, so that a batch the server refused is one task again.
            if invitation.send_attempts not in retry:
                retry[invitation.send_attempts] = (_retry_at(invitation.send_attempts), [])
            invitation.retry_at = retry[invitation.send_attempts][0]
            invitation.save(update_fields=["send_attempts", "send_error", "retry_at", "modified"])
            retry[invitation.send_attempts][1].append(pk)
    for when, ids in retry.values():
        if when is not None:
            invitations_mail.using(run_after=when).enqueue(invitation_ids=ids)
    return sent


def invitation_mail_text(*, study, user, link: str, expires_at, note: str | None = None) -> tuple[str, str]:
    """The invitation's subject and body; the invitations page previews it with `note` before it is saved."""
    context = {
        "study": study,
        "platform": settings.PLATFORM_NAME,
        "site": settings.SITE_URL,
        "link": link,
        "expires_at": expires_at,
        "user": user,
        "note": study.invitation_note if note is None else note,
    }
    return _subject("surveys/email/invitation_subject.txt", context), render_to_string(
        "surveys/email/invitation.txt", context
    )


def invitation_preview(*, study, note: str) -> tuple[str, str]:
    """The invitation mail with `note` as an invitee would get it, for a made-up invitee and link."""
    invitee = get_user_model()(username="name@example.org", email="name@example.org", first_name="Name Surname")
    return invitation_mail_text(
        study=study,
        user=invitee,
        link=site_link("/invitations/") + "…/",
        expires_at=timezone.now() + Invitation.VALID_FOR,
        note=note,
    )


def _invitation_send(pk: int) -> int:
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("study", "membership__user")
            .filter(pk=pk, token_hash=None, revoked_at=None, used_at=None)
            .first()
        )
        if invitation is None:
            return 0
        token = secrets.token_urlsafe(32)
        invitation.token_hash = Invitation.hash_of(token)
        invitation.sent_at = timezone.now()
        invitation.send_attempts += 1
        invitation.send_error, invitation.retry_at = "", None
        invitation.save(update_fields=["token_hash", "sent_at", "send_attempts", "send_error", "retry_at", "modified"])
        subject, body = invitation_mail_text(
            study=invitation.study,
            user=invitation.membership.user,
            link=site_link(reverse("surveys:invitation", kwargs={"token": token})),
            expires_at=invitation.expires_at,
        )
        # Inside the transaction: if the mail cannot go, no token is recorded as sent.
        return send_mail(subject, body, None, [invitation.email])


@task()
def reminders_mail(
    *, round_id: int, membership_ids: list[int], event_id: int | None = None, attempt: int = 1, **queued_before
) -> int:
    """One reminder to each of these panelists who still has not submitted the round.

    The facilitator's note is read from the history's record of the reminder
    (`event_id`), so the queue holds no text. Addresses the server refuses
    are tried again later; those it still refuses at the last try are
    counted in the history. A reminder queued before the fixed template
    (with a subject and a message of its own) goes out in the fixed mail, its
    message as the note.
    """
    round = Round.objects.select_related("study").get(pk=round_id)
    if round.status != Round.Status.OPEN:
        return 0
    event = AuditEvent.objects.filter(pk=event_id).first() if event_id is not None else None
    if event is not None:
        note = event.detail.get("note", "")
    else:  # queued before the fixed template: its message, unless it holds an address of its own
        message = queued_before.get("message", "")
        note = "" if first_link(message) else message
    context = {
        "study": round.study,
        "round": round,
        "platform": settings.PLATFORM_NAME,
        "site": settings.SITE_URL,
        "note": note,
        "link": site_link(reverse("surveys:vote", kwargs={"slug": round.study.slug, "number": round.number})),
    }
    subject = _subject("surveys/email/reminder_subject.txt", context)
    body = render_to_string("surveys/email/reminder.txt", context)
    submitted = Ballot.objects.filter(round=round, status=Ballot.Status.SUBMITTED).values("membership_id")
    waiting = (
        Membership.objects.active()
        .filter(pk__in=membership_ids, study_id=round.study_id)
        .exclude(pk__in=submitted)
        .exclude(user__email="")
        .values_list("pk", "user__email")
    )
    sent, failed, reason = 0, [], ""
    for pk, address in waiting:
        try:
            sent += send_mail(subject, body, None, [address])
        except Exception as error:  # the others still go
            failed.append(pk)
            reason = _reason(error)
            logger.warning("Reminder of round %s not sent to membership %s: %s: %s", round_id, pk, type(error).__name__, error)
    if failed:
        when = _retry_at(attempt)
        if when:
            reminders_mail.using(run_after=when).enqueue(
                round_id=round_id, membership_ids=failed, event_id=event_id, attempt=attempt + 1
            )
        else:
            audit_record(
                study=round.study,
                by=None,
                action=AuditEvent.Action.REMIND,
                summary=f"Reminders of round {round.number} could not be sent to {len(failed)} panelist(s)",
                detail={"round": round.number, "not_sent": len(failed), "reason": reason, "tries": attempt},
            )
    return sent


# What the panel hears without the facilitator typing it: each a fixed mail.
NEWS = {
    "opened": ("surveys/email/round_opened_subject.txt", "surveys/email/round_opened.txt", "surveys:vote"),
    "released": ("surveys/email/results_released_subject.txt", "surveys/email/results_released.txt", "surveys:results"),
}


@task()
def round_news_mail(*, round_id: int, news: str, membership_ids: list[int]) -> int:
    """Tells these panelists that a round has opened (with its deadline) or that its results are out.

    Sent only if the round is still as the news says when the worker runs:
    open for "opened", released for "released". Returns how many were sent.
    """
    round = Round.objects.select_related("study").get(pk=round_id)
    if (news == "opened" and round.status != Round.Status.OPEN) or (
        news == "released" and round.results_released_at is None
    ):
        return 0
    subject_template, body_template, page = NEWS[news]
    context = {
        "study": round.study,
        "round": round,
        "platform": settings.PLATFORM_NAME,
        "site": settings.SITE_URL,
        "link": site_link(reverse(page, kwargs={"slug": round.study.slug, "number": round.number})),
    }
    subject = _subject(subject_template, context)
    body = render_to_string(body_template, context)
    addresses = (
        Membership.objects.active()
        .filter(pk__in=membership_ids, study_id=round.study_id, role=Membership.Role.PANELIST)
        .exclude(user__email="")
        .values_list("pk", "user__email")
    )
    sent = 0
    for pk, address in addresses:
        try:
            sent += send_mail(subject, body, None, [address])
        except Exception as error:  # the others still go
            logger.warning("News %s of round %s not sent to membership %s: %s", news, round_id, pk, type(error).__name__)
    return sent


@task()
def scheduled_reminders(*, round_id: int, deadline: str, days: int) -> int:
    """The reminder a facilitator set for `days` before the deadline, to whoever has not submitted by then.

    Nothing goes if the round is no longer open, or if its deadline moved
    since this was scheduled (the extension scheduled its own). Returns how
    many panelists are reminded.
    """
    round = Round.objects.select_related("study").get(pk=round_id)
    if round.status != Round.Status.OPEN or round.deadline is None or round.deadline.isoformat() != deadline:
        return 0
    submitted = Ballot.objects.filter(round=round, status=Ballot.Status.SUBMITTED).values("membership_id")
    waiting = list(
        Membership.objects.active()
        .filter(study=round.study, role=Membership.Role.PANELIST)
        .exclude(pk__in=submitted)
        .exclude(user__email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not waiting:
        return 0
    event = audit_record(
        study=round.study,
        by=None,
        action=AuditEvent.Action.REMIND,
        summary=f"Scheduled reminder, {days} day(s) before the deadline: {len(waiting)} panelist(s) "
        f"who had not submitted round {round.number}",
        detail={"round": round.number, "reminded": len(waiting), "days": days, "note": ""},
    )
    for start in range(0, len(waiting), MAIL_BATCH):
        reminders_mail.enqueue(round_id=round.pk, membership_ids=waiting[start : start + MAIL_BATCH], event_id=event.pk)
    return len(waiting)


@task()
def password_reset_mail(*, user_ids: list[int]) -> int:
    """Mails each of these accounts a link to choose a new password, if it may still have one; returns how many."""
    sent = 0
    for user in get_user_model().objects.filter(pk__in=user_ids, is_active=True).exclude(email=""):
        # Django's rule, checked again: the account may have lost its password since it asked.
        if not user.has_usable_password():
            continue
        uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        context = {
            "user": user,
            "platform": settings.PLATFORM_NAME,
            "site": settings.SITE_URL,
            "link": site_link(reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})),
        }
        subject = _subject("registration/password_reset_subject.txt", context)
        body = render_to_string("registration/password_reset_email.html", context)
        sent += send_mail(subject, body, None, [user.email])
    return sent


@receiver(task_finished)
def prune_finished_task(sender, task_result, **kwargs) -> None:
    """Deletes a database task's row once it has succeeded: its work is done, and it named people."""
    # django_tasks sends the backend itself on success and its class on failure.
    backend = sender if isinstance(sender, type) else type(sender)
    if issubclass(backend, DatabaseBackend) and task_result.status == TaskResultStatus.SUCCESSFUL:
        DBTaskResult.objects.filter(pk=task_result.id).delete()
