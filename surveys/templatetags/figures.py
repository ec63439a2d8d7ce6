"""Figures on pages as in the tables: rounded half away from zero, with no trailing zeros (consensus.short)."""

from django import template

import consensus

register = template.Library()


@register.filter
def figure(value) -> str:
    """7, 7.5, 8.44; a dash for no value."""
    return "–" if value is None else consensus.short(value)
