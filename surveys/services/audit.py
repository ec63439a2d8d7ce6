"""The study's history: who did what and when. Never answers, never the participant link."""

from datetime import datetime

from django.utils import timezone

from surveys.models import AuditEvent, Study


def audit_record(*, study: Study, by, action: str, summary: str, detail: dict | None = None) -> AuditEvent:
    return AuditEvent.objects.create(study=study, actor=by, action=action, summary=summary, detail=detail or {})


def moment(value: datetime) -> str:
    """A time as the history prints it, in the server's time zone."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
