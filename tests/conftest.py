from pathlib import Path

import pytest
from django.core.management import call_command

from surveys.models import Membership, Study
from tests.factories import MembershipFactory, StudyFactory, UserFactory

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
