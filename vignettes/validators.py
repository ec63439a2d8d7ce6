"""Checks on text that every app's models and forms share; this app knows no other, so any may import it."""

import re
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


# What a mail program would show as a link: a scheme, www., mailto:, or a
# bare domain such as evil-login.example/x.
_LINK = re.compile(
    r"\S*://\S*|\bwww\.\S*|\bmailto:\S*"
    r"|\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,24}\b(?:/\S*)?",
    re.IGNORECASE,
)


def first_link(text: str) -> str | None:
    """The first web or mail address in `text`, as written; None if there is none."""
    match = _LINK.search(text)
    return match.group(0) if match else None


def validate_no_link(value: str) -> None:
    """Text that goes into the platform's mail (a study's title, a reminder's note): no address of its own.

    The mail links to the platform's own pages; an address in a title or a
    note would let anyone who edits one send people elsewhere from the
    platform's address.
    """
    link = first_link(value)
    if link is not None:
        raise ValidationError(
            _("The platform's mail links to its own pages only; leave out web and mail addresses (found %(link)s)."),
            code="link",
            params={"link": link[:60]},
        )
