"""The facilitator's invitation form: one address or a pasted list."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from surveys.models import Invitation, Membership


class InvitationForm(forms.Form):
    """One address, or a pasted list (one per line, or separated by commas or semicolons)."""

    emails = forms.CharField(
        label=_("Email addresses"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One address, or a list pasted from a spreadsheet or an email."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.PANELIST)

    MAX_ADDRESSES = 500

    def clean_emails(self) -> list[str]:
        raw = self.cleaned_data["emails"]
        addresses = [a.strip() for a in re.split(r"[\s,;]+", raw) if a.strip()]
        problems = []
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                problems.append(address)
        if problems:
            raise forms.ValidationError(
                _("Not email addresses: %(list)s") % {"list": ", ".join(problems[:10])}
                + ("…" if len(problems) > 10 else "")
            )
        longest = _longest_address()
        too_long = [address for address in addresses if len(address) > longest]
        if too_long:
            raise forms.ValidationError(
                _("An address can be at most %(n)s characters long: %(list)s")
                % {"n": longest, "list": ", ".join(_cut(address) for address in too_long[:10])}
                + ("…" if len(too_long) > 10 else "")
            )
        if len(addresses) > self.MAX_ADDRESSES:
            raise forms.ValidationError(_("At most %(n)s addresses at a time.") % {"n": self.MAX_ADDRESSES})
        return list(dict.fromkeys(a.lower() for a in addresses))


def _longest_address() -> int:
    # A newcomer's address becomes their user name (surveys.services.invitations),
    # a shorter column than the address; Django's email check allows 320 characters.
    username = get_user_model()._meta.get_field("username").max_length
    return min(username, Invitation._meta.get_field("email").max_length)


def _cut(address: str, limit: int = 60) -> str:
    return address if len(address) <= limit else address[: limit - 1] + "…"
