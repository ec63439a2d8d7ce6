from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from surveys.models import Membership, Participant, Round, Study
from tests.factories import sign_in

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_it_loads_the_mayo_study_with_a_panel_of_ten_and_opens_round_1():
    output = seed()

    study = Study.objects.get(slug="mayo-trd")
    roles = {role: study.memberships.filter(role=role).count() for role in Membership.Role.values}
    assert roles == {"facilitator": 1, "panelist": 10, "analyst": 1}
    round_1 = study.rounds.get(number=1)
    assert round_1.status == Round.Status.OPEN
    assert round_1.deadline is not None
    # Nobody has voted: no pseudonym exists until a submitted ballot is counted at close.
    assert not Participant.objects.filter(study=study).exists()
    assert "panelist01" in output and "demo-panelist01" in output


def test_its_accounts_sign_in_with_the_printed_passwords(client):
    seed()

    assert sign_in(client, "panelist07", "demo-panelist07")
    assert sign_in(client, "facilitator", "demo-facilitator")


def test_it_is_safe_to_run_twice():
    seed()
    seed()

    assert Study.objects.count() == 1
    assert get_user_model().objects.count() == 13
    assert Membership.objects.count() == 12
    assert not Participant.objects.exists()
    assert Round.objects.get().status == Round.Status.OPEN
