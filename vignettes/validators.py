"""Checks on text that every app's models and forms share; this app knows no other, so any may import it."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Line and paragraph breaks, tabs and the other control characters: a title
# or a name is shown on one line (a heading, a table cell, a chart label, an
# export's row), and these would break it or hide in it.
_OFF_THE_LINE = {"Cc", "Zl", "Zp"}


def off_the_line(text: str) -> str | None:
    """The first character of `text` that has no place in one line of text, as U+XXXX; None if there is none."""
    for char in text:
        if unicodedata.category(char) in _OFF_THE_LINE:
            return f"U+{ord(char):04X}"
    return None


def validate_one_line(value: str) -> None:
    """A title or a name: one line, without line breaks, tabs or other control characters."""
    char = off_the_line(value)
    if char is not None:
        raise ValidationError(
            _("Keep this to one line, without line breaks, tabs or other control characters (found %(char)s)."),
            code="not_one_line",
            params={"char": char},
        )
