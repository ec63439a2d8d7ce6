"""Signing in: the sign-in form, the password change's old password, and what django-axes records of an attempt.

A wrong old password on the password-change page is a wrong password like
any other: it goes through authenticate(), so django-axes counts it and
refuses a paused account there as at the sign-in page.
"""

import ipaddress

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.views.decorators.debug import sensitive_variables

# The length of django-axes' own username columns (AccessAttempt, AccessLog).
AXES_USERNAME_LENGTH = 255


# An IPv6 client is given a whole /64 network at least (RFC 6177) and may
# use any address in it; counted one address each, it could try a new one
# for every guess. So an IPv6 client is counted as its /64.
IPV6_CLIENT_PREFIX = 64


def counted_address(value: str | None) -> str | None:
    """The address a client is counted by: an IPv4 address as it is, an IPv6 one as the first address of its /64.

    An IPv4 address written as IPv6 (::ffff:203.0.113.9) counts as the IPv4
    address. The answer is an address, not a network, as django-axes stores
    it in an IP address column. None for a value that is not an address.
    """
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        # Built from the integer, which drops a zone (fe80::1%eth0) that a network string refuses.
        return str(ipaddress.IPv6Network((int(address), IPV6_CLIENT_PREFIX), strict=False).network_address)
    return str(address)


def client_ip(request) -> str | None:
    """The address failed sign-ins (and password-reset requests) are counted by: see counted_address.

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
        counted = counted_address(forwarded)
        if counted is not None:
            return counted
    peer = request.META.get("REMOTE_ADDR")
    return counted_address(peer) or peer


def attempted_username(request, credentials=None) -> str | None:
    """The user name tried, cut to what axes can store.

    Django's sign-in forms (the site's and the admin's) do not limit the
    field, so a longer name reached axes' 255-character columns: a 500 on
    PostgreSQL. No account has a longer name, so the cut loses nothing.
    """
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return username[:AXES_USERNAME_LENGTH] if isinstance(username, str) else username


class SignInForm(auth_forms.AuthenticationForm):
    """Django's sign-in form, refusing a username longer than any account's next to the field.

    Django gives the field its max_length only after it is built, so no
    validator checks it, and a longer username went on to django-axes, whose
    log of failed sign-ins holds 255 characters: on PostgreSQL, a 500.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's password change, its old password checked as a sign-in is: through django-axes.

    Django's form checks it with check_password, which axes never sees: wrong
    old passwords went uncounted, and a paused account could be tried here.
    """

    def __init__(self, user, *args, request, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    @sensitive_variables("old_password")
    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        if authenticate(self.request, username=self.user.get_username(), password=old_password) != self.user:
            raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password-change page with the form above, which needs the request for axes."""

    form_class = PasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}
