"""The facilitator's invitation form: one address or a pasted list."""

import re

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from surveys.models import Membership


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
        if len(addresses) > self.MAX_ADDRESSES:
            raise forms.ValidationError(_("At most %(n)s addresses at a time.") % {"n": self.MAX_ADDRESSES})
        return list(dict.fromkeys(a.lower() for a in addresses))

