"""When django-axes pauses signing in: a limit for each set of AXES_LOCKOUT_PARAMETERS.

Axes sums the recent failures of each lockout parameter set (here the user
name with the address, and the user name alone) and compares the largest sum
with one limit. The user name alone needs a higher limit than the pair: one
panelist mistyping must not pause their account everywhere, and a stranger
must not pause it with a few guesses. Axes' maintainers advise a handler of
one's own for that (jazzband/django-axes#661); this one changes the count it
reports, and what a successful sign-in forgets.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def failure_limit(parameters) -> int:
    """The limit of one lockout parameter set: AXES_USERNAME_FAILURE_LIMIT for the user name alone, else the pair's."""
    if parameters in ("username", ["username"]):
        return settings.AXES_USERNAME_FAILURE_LIMIT
    return settings.AXES_FAILURE_LIMIT


class AxesLimitsHandler(AxesDatabaseHandler):
    """Axes' database handler, each lockout parameter set held to its own limit."""

    def get_failures(self, request, credentials=None) -> int:
        """The failures toward the nearest limit, on the scale of AXES_FAILURE_LIMIT.

        Axes pauses once this reaches AXES_FAILURE_LIMIT, wherever it checks
        (before a password is tried, and after a wrong one). So the answer is
        that limit less the failures the set nearest its own limit has left:
        it reaches AXES_FAILURE_LIMIT exactly when some set reaches its own.
        """
        left = [
            failure_limit(parameters) - (attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0)
            for parameters, attempts in zip(
                get_lockout_parameters(request, credentials), self.get_user_attempts(request, credentials), strict=True
            )
        ]
        return get_failure_limit(request, credentials) - min(left)

    def reset_user_attempts(self, request, credentials=None) -> int:
        """On a successful sign-in (AXES_RESET_ON_SUCCESS), forgets the failures from that address only.

        Axes would forget every set's, the user name's too: a stranger's
        guesses from elsewhere would then start again from nothing each time
        the panelist signs in.
        """
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count
