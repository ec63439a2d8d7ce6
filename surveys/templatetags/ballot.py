"""The two parts of the voting page that repeat for every point of every item, written in Python.

A ballot of 300 Likert items draws 2,700 rating buttons and, from round 2
on, 2,700 feedback bars. Django's template engine spent about a third of
the page's time on these loops alone, and format_html most of the rest
(docs/performance.md); plain strings with every text escaped here take a
tenth of it. The markup is kept terse for the same reason: a page of 300
items must stay under 3 KB an item.
"""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()

MINE = ' class="mine"'


@register.simple_tag
def likert_buttons(entry, name: str) -> SafeString:
    """A Likert item's radio buttons, each anchor's words inside its own button's label, under the button."""
    name = escape(name)
    html = []
    for point in entry.points:
        value = escape(point["value"])
        checked = " checked" if point["checked"] else ""
        anchor = f' <span class="anchor-{point["side"]}">{escape(point["anchor"])}</span>' if point["anchor"] else ""
        html.append(
            f'<input type="radio" name="{name}" id="{name}-{value}" value="{value}"{checked}>'
            f'<label for="{name}-{value}">{value}{anchor}</label>'
        )
    # bandit: reviewed; every text above is escaped, the rest is markup and numbers.
    return mark_safe("".join(html))  # nosec B308 B703


@register.simple_tag
def rating_bars(feedback) -> SafeString:
    """The rows of a distribution: the answer, a bar as wide as its share, and how many gave it."""
    mine = f" <strong>{escape(_('your answer'))}</strong>"
    html = [
        # The width is a number as CSS reads it, whatever the language's decimal mark.
        f'<tr{MINE if bar.mine else ""}><th>{escape(bar.label)}</th>'
        f'<td><span style="width:{float(bar.percent):g}%"></span></td>'
        f'<td>{int(bar.count)}{mine if bar.mine else ""}</td></tr>'
        for bar in feedback.bars
    ]
    # bandit: reviewed; every text above is escaped, the rest is markup and numbers.
    return mark_safe("".join(html))  # nosec B308 B703
