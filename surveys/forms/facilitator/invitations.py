"""The facilitator's invitation form: one address or a pasted list."""

import re
from email.utils import getaddresses

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from surveys.forms.fields import TextAreaField
from surveys.models import Invitation, Membership
from vignettes.validators import validate_no_link


class InvitationForm(forms.Form):
    """One address, or a pasted list (one per line, or separated by commas or semicolons).

    A line as an email program writes it, `Name Surname <name@example.org>`,
    gives its address and keeps its name (cleaned_data["names"]).
    """

    emails = forms.CharField(
        label=_("Email addresses"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One address, or a list pasted from a spreadsheet or an email."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.PANELIST)

    MAX_ADDRESSES = 500

    def clean_emails(self) -> list[str]:
        addresses, self.names = _parse(self.cleaned_data["emails"])
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

    def clean(self):
        data = super().clean()
        data["names"] = {address.lower(): name for address, name in getattr(self, "names", {}).items()}
        return data


# A name as an account keeps it (User.first_name).
MAX_NAME = 150


def _parse(raw: str) -> tuple[list[str], dict[str, str]]:
    """The addresses of a pasted list, and the names given with them.

    A chunk (a line, or a part between semicolons) with an angle bracket is
    read as email programs write addresses, where commas may separate them
    too; any other chunk is split at spaces and commas, as a spreadsheet's
    column pastes.
    """
    addresses, names = [], {}
    for chunk in re.split(r"[\r\n;]+", raw):
        if "<" in chunk:
            for name, address in getaddresses([chunk]):
                address = address.strip() or chunk.strip()
                addresses.append(address)
                name = " ".join(name.split())[:MAX_NAME]
                if name:
                    names[address] = name
        else:
            addresses.extend(a for a in re.split(r"[\s,]+", chunk) if a)
    return addresses, names


def _longest_address() -> int:
    # A newcomer's address becomes their user name (surveys.services.invitations),
    # a shorter column than the address; Django's email check allows 320 characters.
    username = get_user_model()._meta.get_field("username").max_length
    return min(username, Invitation._meta.get_field("email").max_length)


def _cut(address: str, limit: int = 60) -> str:
    return address if len(address) <= limit else address[: limit - 1] + "…"


class InvitationNoteForm(forms.Form):
    """The facilitators' words inside the fixed invitation mail, which names the study and the platform."""

    note = TextAreaField(
        label=_("Your words in the invitation"),
        required=False,
        max_length=2000,
        rows=4,
        validators=[validate_no_link],
        help_text=_(
            "The mail says which study it is, who sends it and how the answers are kept, and holds the link; "
            "your words go inside. They cannot hold links of their own."
        ),
    )
