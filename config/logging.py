"""Logging that records errors with their request, and never an answer, a token or a session.

Django's own mail to ADMINS carries the request's POST data, its cookies'
names, its path (an invitation link holds its token there) and every local
variable of the traceback (a ballot's answers, a token being made). Here a
log record keeps the request's method and a path with tokens masked, and
the report mailed to ADMINS keeps the traceback without its variables.
"""

import logging
import re

from django.views.debug import ExceptionReporter

# Paths whose last segments are secrets: invitation links and password-reset links.
SECRET_PATHS = re.compile(r"(/invitations/|/reset/[^/\s]+/)[^/\s]+")


def redact(text: str) -> str:
    return SECRET_PATHS.sub(r"\1…", text)


class RedactSecrets(logging.Filter):
    """Masks tokens in the message, and swaps the request for its method and masked path."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in args)
        request = getattr(record, "request", None)
        if request is not None:
            record.request_line = f"{request.method} {redact(request.path)}"
            record.request = None
        return True


class ReporterWithoutVariables(ExceptionReporter):
    """Django's error report with each frame's local variables left out: they may hold answers or tokens."""

    def get_traceback_frames(self):
        frames = super().get_traceback_frames()
        for frame in frames:
            frame["vars"] = []
        return frames
