"""Each request starts in the server's time zone; a study's pages switch to the study's (surveys.access).

Django keeps the active time zone per thread, so a zone a study's page
activated would otherwise stay for the next request the thread serves.
"""

from django.utils import timezone


class TimeZoneResetMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
