"""Signing in: the sign-in form, and what django-axes records of an attempt (the client's address, the user name)."""

import ipaddress

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

# The length of django-axes' own username columns (AccessAttempt, AccessLog).
AXES_USERNAME_LENGTH = 255


def client_ip(request) -> str | None:
    """The address failed sign-ins are counted by.

    Behind the proxy every request comes from the proxy itself, which would
    make the (username, address) lock a lock on the username alone: anyone
    could then pause a known panelist's account. The proxy sets
    X-Forwarded-For to the address it sees (docs/deploy.md); the right-most
    entry is that one even where a proxy appends instead of setting, so a
    client reaching the app through the proxy cannot choose the address.
    A value that is not an address (a misconfigured proxy) is not trusted.
    """
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")


def attempted_username(request, credentials=None) -> str | None:
    """The user name tried, cut to what axes can store.

    Django's sign-in forms (the site's and the admin's) do not limit the
    field, so a longer name reached axes' 255-character columns: a 500 on
    PostgreSQL. No account has a longer name, so the cut loses nothing.
    """
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return username[:AXES_USERNAME_LENGTH] if isinstance(username, str) else username


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing a username longer than any account's next to the field.

    Django gives the field its max_length only after it is built, so no
    validator checks it, and a longer username went on to django-axes, whose
    log of failed sign-ins holds 255 characters: on PostgreSQL, a 500.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))
