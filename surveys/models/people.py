"""The person side (SPEC 5): memberships, sealed ballots, invitations, password-reset requests.

Rows here name people. Nothing here holds in the clear what anyone answered.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models.studies import TimeStampedModel


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Membership(TimeStampedModel):
    """A person's role in a study. A facilitator may also read results.

    A membership made by an invitation is inactive, and opens nothing, until
    its invitation is accepted: an invitation revoked or expired before then
    leaves no access. Every page and count reads active memberships only.
    """

    class Role(models.TextChoices):
        FACILITATOR = "facilitator", _("Facilitator")
        PANELIST = "panelist", _("Panelist")
        ANALYST = "analyst", _("Analyst")

    study = models.ForeignKey("surveys.Study", on_delete=models.CASCADE, related_name="memberships", verbose_name=_("study"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("joined"), default=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["study", "role", "pk"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["study", "user"], name="one_membership_per_user_and_study"),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}) in {self.study}"


class Ballot(models.Model):
    """A panelist's answers to one round, sealed under BALLOT_KEY: the ballot box's person side (SPEC 5).

    It holds the draft or the submission while the round is open, and says
    who has submitted (for reminders), never in the clear what. Closing the
    round counts the submitted ballots onto the pseudonymous side; releasing
    its results deletes the round's ballots, drafts included. No date: a
    ballot's time could be set against the sign-in log.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    round = models.ForeignKey("surveys.Round", on_delete=models.CASCADE, related_name="ballots")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="ballots")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # surveys.ballot.seal: format byte, nonce, AES-GCM ciphertext of the padded answers.
    sealed = models.BinaryField()

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["round", "membership"], name="one_ballot_per_round_and_member"),
        ]


class Invitation(TimeStampedModel):
    """A single-use link that lets an invited person into a study.

    Only a SHA-256 of the token is stored, as Django stores password-reset
    material: a leaked database cannot be turned into working links. A link
    to an account that already has a password signs nobody in by itself: its
    holder gives that password too.
    """

    # How long a link works after it is made.
    VALID_FOR = timedelta(days=14)

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        USED = "used", _("Accepted")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    study = models.ForeignKey("surveys.Study", on_delete=models.CASCADE, related_name="invitations", verbose_name=_("study"))
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices, default=Membership.Role.PANELIST)
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("membership")
    )
    # Set by the task that mails the link, which makes the token then: the
    # token never waits in a queued task or a table (SPEC 5).
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # A send that failed: the mail server's reason, how many tries so far, and
    # when the worker tries again (none once it has given up: resend then).
    send_error = models.CharField(_("why it was not sent"), max_length=200, blank=True)
    send_attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    retry_at = models.DateTimeField(_("next try"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )

    class Meta:
        ordering = ["-created"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.email} → {self.study}"

    @staticmethod
    def hash_of(token: str) -> str:
        """What is stored of a token: its SHA-256."""
        return hashlib.sha256(token.encode()).hexdigest()

    class Delivery(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Not sent yet, trying again")
        FAILED = "failed", _("Not sent")

    @property
    def delivery(self) -> "Invitation.Delivery":
        """Where its mail is: waiting for the worker, sent, failed and to be tried again, or given up on."""
        if self.sent_at:
            return self.Delivery.SENT
        if self.send_error:
            return self.Delivery.RETRYING if self.retry_at else self.Delivery.FAILED
        return self.Delivery.QUEUED

    @property
    def state(self) -> "Invitation.State":
        if self.revoked_at:
            return self.State.REVOKED
        if self.used_at:
            return self.State.USED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING


class PasswordResetRequest(models.Model):
    """One request for a password-reset link, counted for its rate limits (docs/deploy.md) for a while.

    Neither the address asked from nor the email asked for is stored, only a
    keyed hash of each: enough to count them, and nothing that names who
    asked or for whom. A row is kept for PASSWORD_RESET_WINDOW, then deleted.
    """

    address_hash = models.CharField(max_length=64, db_index=True)
    email_hash = models.CharField(max_length=64, db_index=True)
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("password-reset request")
        verbose_name_plural = _("password-reset requests")
