"""A time as a study's pages and mails print it: in the study's time zone, with the zone named."""

from django import template
from django.utils import dateformat, timezone

register = template.Library()

TIME_FORMAT = "j M Y, H:i"


@register.filter
def in_zone(value, study) -> str:
    """E.g. "12 Dec 2026, 17:00 (America/Chicago)"; nothing for no time."""
    if not value:
        return ""
    return f"{dateformat.format(timezone.localtime(value, study.zone), TIME_FORMAT)} ({study.time_zone})"
