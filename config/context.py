"""What every page's template reads besides its view's context: the platform's name."""

from django.conf import settings


def platform(request) -> dict:
    return {"platform_name": settings.PLATFORM_NAME}
