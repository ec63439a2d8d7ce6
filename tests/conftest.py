from pathlib import Path

import pytest
from django.core.management import call_command

from surveys.models import Membership, Study
from tests.factories import MembershipFactory, StudyFactory, UserFactory, round_with_every_item_type

ROOT = Path(__file__).resolve().parent.parent
MAYO_FILE = ROOT / "examples" / "mayo-trd.yaml"


@pytest.fixture
def study(db):
    return StudyFactory()


@pytest.fixture
def mayo_study(db) -> Study:
    call_command("import_study", str(MAYO_FILE))
    return Study.objects.get(slug="mayo-trd")


def _member(study, role, username):
    return MembershipFactory(study=study, role=role, user=UserFactory(username=username)).user


@pytest.fixture
def facilitator(study):
    return _member(study, Membership.Role.FACILITATOR, "facilitator")


@pytest.fixture
def panelist(study):
    return _member(study, Membership.Role.PANELIST, "panelist")


@pytest.fixture
def other_panelist(study):
    return _member(study, Membership.Role.PANELIST, "other_panelist")


@pytest.fixture
def analyst(study):
    return _member(study, Membership.Role.ANALYST, "analyst")


@pytest.fixture
def outsider(db):
    """A signed-up user with no membership in `study`."""
    return UserFactory(username="outsider")


@pytest.fixture
def voting_round(study):
    """An open round of `study` with one item of every type."""
    return round_with_every_item_type(study)


@pytest.fixture
def panelist_client(client, panelist):
    client.force_login(panelist)
    return client


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """MD5 for tests only: the default PBKDF2 costs ~0.3 s per user created or signed in."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
