"""The parts of the voting page that repeat for every item, written in Python.

A ballot of 300 Likert items draws 2,700 rating buttons and, from round 2
on, 300 distributions of 9 bars with their figures. Django's template
engine spent over half of the page's time on these alone (its loops,
filters and blocktranslate), and format_html most of the rest; plain
strings with every text escaped take a tenth of it (docs/performance.md).
The markup is kept terse for the same reason: a page of 300 items must
stay under 3 KB an item.
"""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from consensus import fixed, short

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
def rated_feedback(feedback) -> SafeString:
    """A rated item's feedback: the distribution, its figures, the verdict and the panelist's own answer then."""
    mine = f" <strong>{escape(_('your answer'))}</strong>"
    # A 4-point scale's answers are words, which may wrap on a phone.
    kind = "bars words" if feedback.type == "categorical" else "bars"
    caption = escape(_("How many panelists gave each answer"))
    html = [f'<table class="{kind}"><caption class="visually-hidden">{caption}</caption>']
    html += [
        # The width is a number as CSS reads it, whatever the language's decimal mark.
        f'<tr{MINE if bar.mine else ""}><th>{escape(bar.label)}</th>'
        f'<td><span style="width:{float(bar.percent):g}%"></span></td>'
        f'<td>{int(bar.count)}{mine if bar.mine else ""}</td></tr>'
        for bar in feedback.bars
    ]
    html.append("</table>")
    stats = feedback.stats
    if stats is not None and feedback.type == "categorical":
        html.append(
            '<p class="mb-1">%s</p>'
            % escape(
                _("Would recommend (likely or definitely): %(yes)s%% · would not (likely not or will not): %(no)s%%")
                % {"yes": short(stats.pct_high, 1), "no": short(stats.pct_low, 1)}
            )
        )
    elif stats is not None:
        # The same figures as the analyst's tables, rounded the same way (a P25 of 7.75 stays 7.75).
        figures = {name: short(getattr(stats, name)) for name in ("median", "p25", "p75", "iqr")}
        figures["mean"] = fixed(stats.mean)
        html.append(
            '<p class="mb-1">%s</p>'
            % escape(_("Median %(median)s · IQR %(iqr)s (%(p25)s–%(p75)s) · mean %(mean)s") % figures)
        )
    if feedback.consensus is not None:
        badge = (
            f'<span class="badge text-bg-success">{escape(_("Consensus reached"))}</span>'
            if feedback.consensus
            else f'<span class="badge text-bg-secondary">{escape(_("No consensus"))}</span>'
        )
        html.append(f'<p class="mb-1">{badge} <span class="text-body-secondary">({escape(feedback.rule)})</span></p>')
    html.append(my_answer(feedback))
    # bandit: reviewed; every text above is escaped, the rest is markup and numbers.
    return mark_safe("".join(html))  # nosec B308 B703


@register.simple_tag
def my_answer(feedback) -> SafeString:
    """What the panelist answered to the item then, in its scale's words."""
    if feedback.my_rating is not None:
        line = _("Your answer then: %(answer)s") % {"answer": f"<mark>{escape(feedback.my_label)}</mark>"}
    elif feedback.i_left_blank:
        line = escape(_("You left it blank then."))
    else:
        line = escape(_("You did not answer it then."))
    # bandit: reviewed; the answer is escaped, the sentences are the platform's own.
    return mark_safe(f'<p class="mb-0">{line}</p>')  # nosec B308 B703
