"""The study's history: who did what and when. Never answers, never the participant link."""

from datetime import datetime

from django.utils import timezone

from surveys.models import AuditEvent, Study

SUMMARY_MAX_LENGTH = AuditEvent._meta.get_field("summary").max_length
# A name a summary quotes (a file, a list of codes) is cut to this many
# characters, so that the line keeps what follows it; `detail` keeps it whole.
NAME_MAX_LENGTH = 80


def shortened(text: str, limit: int = NAME_MAX_LENGTH) -> str:
    """`text`, or its start and an ellipsis when it is longer than `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def audit_event(*, study: Study, by, action: str, summary: str, detail: dict | None = None) -> AuditEvent:
    """An event not yet saved, for a bulk_create; its summary always fits the column, so no action fails for it."""
    return AuditEvent(
        study=study, actor=by, action=action, summary=shortened(summary, SUMMARY_MAX_LENGTH), detail=detail or {}
    )


def audit_record(*, study: Study, by, action: str, summary: str, detail: dict | None = None) -> AuditEvent:
    event = audit_event(study=study, by=by, action=action, summary=summary, detail=detail)
    event.save()
    return event


def moment(value: datetime, study: Study) -> str:
    """A time as the history prints it: in the study's time zone, named."""
    return f"{timezone.localtime(value, study.zone).strftime('%Y-%m-%d %H:%M')} {study.time_zone}"
