"""The three keys the platform rests on, and when each is too weak to run on.

SECRET_KEY signs sessions; PARTICIPANT_LINK_KEY links a person to their
pseudonym; BALLOT_KEY seals the open rounds' ballots (SPEC 5). With DEBUG off
the settings refuse to start on a weak one; `check --deploy` warns of the
same weaknesses (surveys.checks).
"""

from django.core.exceptions import ImproperlyConfigured

# As long as Django asks of SECRET_KEY (security.W009).
MIN_LENGTH = 50
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me"
DEVELOPMENT_BALLOT_KEY = "dev-only-insecure-ballot-key"
GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def weakness(value: str | None) -> str | None:
    """Why a key is too weak to keep its secret, or None."""
    if not value:
        return "it is not set"
    if value in (DEVELOPMENT_SECRET_KEY, DEVELOPMENT_BALLOT_KEY):
        return "it is the development value, which anyone can read in the repository"
    if len(value) < MIN_LENGTH:
        return f"it is shorter than {MIN_LENGTH} characters"
    if len(set(value)) < 5:
        return "it is too simple"
    return None


def refuse_weak_keys(keys: dict[str, str | None]) -> None:
    """Raises ImproperlyConfigured, in one line saying what to set, if a key is weak or two keys are one."""
    for name, value in keys.items():
        reason = weakness(value)
        if reason:
            raise ImproperlyConfigured(f"Set {name} in the environment ({reason}): `{GENERATE}` makes one.")
    names = list(keys)
    for i, name in enumerate(names):
        for other in names[i + 1 :]:
            if keys[name] == keys[other]:
                raise ImproperlyConfigured(
                    f"Set {other} to a value of its own: it is the same as {name}. `{GENERATE}` makes one."
                )
