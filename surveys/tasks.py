"""Mail to the panel, through the task queue (settings.TASKS).

A queued task carries ids only: never a token, an address list or a mail
body with a link, so the task table of a database copy holds nothing to sign
in with (SPEC 5). The worker builds each mail when it sends it, links from
SITE_URL, and an invitation's or a password reset's token is made here, at
sending: only an invitation token's hash is stored, and a reset token is
Django's, checked against the account and never stored. A finished task's
row is deleted as soon as it has succeeded; a failed one stays for the
operator (docs/deploy.md).
"""

import secrets

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

from surveys.models import Ballot, Invitation, Membership, Round


def site_link(path: str) -> str:
    """An absolute link to a page of the site, from the configured SITE_URL."""
    return settings.SITE_URL.rstrip("/") + path


@task()
def invitations_mail(*, invitation_ids: list[int]) -> int:
    """Makes each pending invitation's single-use token and mails its link; returns how many were sent."""
    sent = 0
    for pk in invitation_ids:
        with transaction.atomic():
            invitation = (
                Invitation.objects.select_for_update()
                .select_related("study", "membership__user")
                .filter(pk=pk, token_hash=None, revoked_at=None, used_at=None)
                .first()
            )
            if invitation is None:
                continue
            token = secrets.token_urlsafe(32)
            invitation.token_hash = Invitation.hash_of(token)
            invitation.sent_at = timezone.now()
            invitation.save(update_fields=["token_hash", "sent_at", "modified"])
            context = {
                "study": invitation.study,
                "link": site_link(reverse("surveys:invitation", kwargs={"token": token})),
                "expires_at": invitation.expires_at,
                "user": invitation.membership.user,
            }
            subject = render_to_string("surveys/email/invitation_subject.txt", context).strip()
            body = render_to_string("surveys/email/invitation.txt", context)
            # Inside the transaction: if the mail cannot go, no token is recorded as sent.
            sent += send_mail(subject, body, None, [invitation.email])
    return sent


@task()
def reminders_mail(*, round_id: int, membership_ids: list[int], subject: str, message: str) -> int:
    """One reminder to each of these panelists who still has not submitted the round."""
    round = Round.objects.select_related("study").get(pk=round_id)
    if round.status != Round.Status.OPEN:
        return 0
    link = site_link(reverse("surveys:vote", kwargs={"slug": round.study.slug, "number": round.number}))
    body = f"{message.strip()}\n\n{link}\n"
    submitted = Ballot.objects.filter(round=round, status=Ballot.Status.SUBMITTED).values("membership_id")
    waiting = (
        Membership.objects.filter(pk__in=membership_ids, study_id=round.study_id)
        .exclude(pk__in=submitted)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    return sum(send_mail(subject, body, None, [address]) for address in waiting)


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
            "link": site_link(reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})),
        }
        subject = "".join(render_to_string("registration/password_reset_subject.txt", context).splitlines())
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
