"""The person side (SPEC 5): memberships, completion of rounds, invitations.

Rows here name people. Nothing here holds what anyone answered.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models.studies import TimeStampedModel


class Membership(TimeStampedModel):
    """A person's role in a study. A facilitator may also read results."""

    class Role(models.TextChoices):
        FACILITATOR = "facilitator", _("Facilitator")
        PANELIST = "panelist", _("Panelist")
        ANALYST = "analyst", _("Analyst")

    study = models.ForeignKey("surveys.Study", on_delete=models.CASCADE, related_name="memberships", verbose_name=_("study"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["study", "role", "pk"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["study", "user"], name="one_membership_per_user_and_study"),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}) in {self.study}"


class RoundCompletion(models.Model):
    """Whether a panelist has a draft or has submitted a round.

    Kept apart from answers: it names the membership (for reminders) and
    holds nothing of what was answered.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    round = models.ForeignKey("surveys.Round", on_delete=models.CASCADE, related_name="completions")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="completions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    updated_on = models.DateField(default=timezone.localdate)

    class Meta:
        verbose_name = _("round completion")
        verbose_name_plural = _("round completions")
        constraints = [
            models.UniqueConstraint(fields=["round", "membership"], name="one_completion_per_round_and_member"),
        ]


class Invitation(TimeStampedModel):
    """A single-use link that lets an invited person into a study.

    Only a SHA-256 of the token is stored, as Django stores password-reset
    material: a leaked database cannot be turned into working links.
    """

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
    token_hash = models.CharField(max_length=64, unique=True)
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

    @property
    def state(self) -> "Invitation.State":
        if self.revoked_at:
            return self.State.REVOKED
        if self.used_at:
            return self.State.USED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING


