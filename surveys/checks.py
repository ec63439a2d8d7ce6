"""Deployment checks of the keys SPEC 5 rests on, run by `manage.py check --deploy`.

PARTICIPANT_LINK_KEY links a person to their pseudonym; BALLOT_KEY seals the
ballots of open rounds. Neither may be missing, short, the development value,
or another key: a key that travels with another is as safe as the weaker.
"""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from config.keys import DEVELOPMENT_BALLOT_KEY, MIN_LENGTH, weakness

GENERATE = "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`"


def _weak(key: str) -> bool:
    return weakness(key) is not None


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
    if _weak(key):
        return [
            Warning(
                "PARTICIPANT_LINK_KEY is too short or too simple to keep the participant link secret.",
                hint=f"Use at least {MIN_LENGTH} random characters, e.g. {GENERATE}.",
                id="surveys.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def ballot_key_check(app_configs, **kwargs):
    key = settings.BALLOT_KEY
    if not key or key == DEVELOPMENT_BALLOT_KEY:
        return [
            Warning(
                "BALLOT_KEY is not set; the ballots of open rounds are sealed with the development key.",
                hint=f"Set BALLOT_KEY to at least {MIN_LENGTH} random characters, e.g. {GENERATE}.",
                id="surveys.W003",
            )
        ]
    if key in (settings.SECRET_KEY, settings.PARTICIPANT_LINK_KEY):
        return [
            Warning(
                "BALLOT_KEY is the same as SECRET_KEY or PARTICIPANT_LINK_KEY.",
                hint="Give BALLOT_KEY a value of its own, so that no one key both opens ballots and does another job.",
                id="surveys.W004",
            )
        ]
    if _weak(key):
        return [
            Warning(
                "BALLOT_KEY is too short or too simple to keep open rounds' ballots sealed.",
                hint=f"Use at least {MIN_LENGTH} random characters, e.g. {GENERATE}.",
                id="surveys.W005",
            )
        ]
    return []
