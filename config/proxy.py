"""The client's address behind the reverse proxy, for sign-in throttling."""

from django.conf import settings


def client_ip(request) -> str | None:
    """The address django-axes counts failed sign-ins by.

    Behind the proxy every request comes from the proxy itself, which would
    make the (username, address) lock a lock on the username alone: anyone
    could then pause a known panelist's account. The proxy sets
    X-Forwarded-For to the address it sees (docs/deploy.md); the right-most
    entry is that one even where a proxy appends instead of setting, so
    nothing a client writes into the header can choose the address.
    """
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR")
