from pathlib import Path

import pytest
from django.core.management import call_command

from surveys.models import Membership, Study
from tests.factories import (
    MembershipFactory,
    StudyFactory,
    UserFactory,
    allow_study_creation,
    round_with_every_item_type,
)

ROOT = Path(__file__).resolve().parent.parent
MAYO_FILE = ROOT / "examples" / "mayo-trd.yaml"


@pytest.fixture
def study(db):
    return StudyFactory()


@pytest.fixture
def mayo_study(db) -> Study:
    call_command("import_study", str(MAYO_FILE))
    return Study.objects.get(slug="mayo-trd")


def member(study, role, username):
    """A user of that name with that role in the study."""
    return MembershipFactory(study=study, role=role, user=UserFactory(username=username)).user


@pytest.fixture
def facilitator(study):
    return member(study, Membership.Role.FACILITATOR, "facilitator")


@pytest.fixture
def panelist(study):
    return member(study, Membership.Role.PANELIST, "panelist")


@pytest.fixture
def other_panelist(study):
    return member(study, Membership.Role.PANELIST, "other_panelist")


@pytest.fixture
def analyst(study):
    return member(study, Membership.Role.ANALYST, "analyst")


@pytest.fixture
def outsider(db):
    """A signed-up user with no membership in `study`."""
    return UserFactory(username="outsider")


@pytest.fixture
def creator(db):
    """An account the deployment allows to create studies (docs/deploy.md), a member of none yet."""
    return allow_study_creation(UserFactory(username="creator"))


@pytest.fixture
def voting_round(study):
    """An open round of `study` with one item of every type."""
    return round_with_every_item_type(study)


@pytest.fixture
def mayo_facilitator(mayo_study):
    return member(mayo_study, Membership.Role.FACILITATOR, "mayo-facilitator")


@pytest.fixture
def mayo_analyst(mayo_study):
    return member(mayo_study, Membership.Role.ANALYST, "mayo-analyst")


@pytest.fixture
def mayo_panelist(mayo_study):
    return member(mayo_study, Membership.Role.PANELIST, "mayo-panelist")


# Clients signed in as one actor each. Each takes pytest-django's one
# `client`, so a test uses one of them, or signs in again itself.


@pytest.fixture
def panelist_client(client, panelist):
    client.force_login(panelist)
    return client


@pytest.fixture
def facilitator_client(client, facilitator):
    client.force_login(facilitator)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    """Signed in, and a member of no study."""
    client.force_login(outsider)
    return client


@pytest.fixture
def creator_client(client, creator):
    client.force_login(creator)
    return client


@pytest.fixture
def mayo_facilitator_client(client, mayo_facilitator):
    client.force_login(mayo_facilitator)
    return client


@pytest.fixture
def mayo_analyst_client(client, mayo_analyst):
    client.force_login(mayo_analyst)
    return client


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """MD5 for tests only: the default PBKDF2 costs ~0.3 s per user created or signed in."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
