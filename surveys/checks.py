"""Deployment checks of the participant link key (SPEC 5), run by `manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

# As long as Django asks of SECRET_KEY (security.W009).
MIN_LINK_KEY_LENGTH = 50


@register(Tags.security, deploy=True)
def participant_link_key_check(app_configs, **kwargs):
    key = settings.PARTICIPANT_LINK_KEY
    if key == settings.SECRET_KEY:
        return [
            Warning(
                "PARTICIPANT_LINK_KEY is the SECRET_KEY.",
                hint=(
                    "Set PARTICIPANT_LINK_KEY on its own. Rotating SECRET_KEY, as one does after a leak, "
                    "would otherwise cut every panelist off from their pseudonym and answers, and the key "
                    "that joins people to answers would travel wherever SECRET_KEY does."
                ),
                id="surveys.W001",
            )
        ]
    if len(key) < MIN_LINK_KEY_LENGTH or len(set(key)) < 5:
        return [
            Warning(
                "PARTICIPANT_LINK_KEY is too short or too simple to keep the participant link secret.",
                hint=f"Use at least {MIN_LINK_KEY_LENGTH} random characters, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
                id="surveys.W002",
            )
        ]
    return []
