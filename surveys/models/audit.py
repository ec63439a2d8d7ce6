"""The study's history: who did what, and when."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """A facilitator's action on a study: who, what, when.

    Holds no answers and never the participant link: `detail` carries what
    the action changed (a deadline, a round number, how many were reminded
    and who, by user name), nothing a panelist answered.
    """

    class Action(models.TextChoices):
        OPEN = "open", _("Opened a round")
        CLOSE = "close", _("Closed a round")
        EXTEND = "extend", _("Extended a deadline")
        RELEASE = "release", _("Released results")
        REMIND = "remind", _("Sent reminders")
        INVITE = "invite", _("Invited")
        EDIT = "edit", _("Edited")
        MERGE = "merge", _("Merged items")
        REVOKE = "revoke", _("Revoked an invitation")
        CREATE = "create", _("Created the study")
        JOIN = "join", _("Joined")
        REMOVE = "remove", _("Removed a member")

    study = models.ForeignKey("surveys.Study", on_delete=models.CASCADE, related_name="audit_events", verbose_name=_("study"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    summary = models.CharField(_("summary"), max_length=300)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"{self.created:%Y-%m-%d %H:%M} {self.get_action_display()}: {self.summary}"
