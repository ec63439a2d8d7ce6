"""Pseudonyms counted from the web never clash with labels an answer file brought in."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from surveys.models import Ballot, Membership, Participant
from tests.factories import MembershipFactory, UserFactory, ballot_for

User = get_user_model()

pytestmark = pytest.mark.django_db


def test_pseudonyms_counted_after_an_import_skip_the_imported_labels(mayo_study, client, tmp_path):
    # An answer file with panelists known only as P02 and P05, out of sequence.
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("round,panelist,statement,rating\n1,P02,base-main,8\n1,P05,base-main,9\n", encoding="utf-8")
    call_command("import_responses", "mayo-trd", "--ratings", str(ratings))
    facilitator = MembershipFactory(study=mayo_study, role=Membership.Role.FACILITATOR).user
    for number in range(3):
        MembershipFactory(study=mayo_study, role=Membership.Role.PANELIST, user=UserFactory(username=f"web{number}"))

    client.force_login(facilitator)
    # Round 1's answers came from the file, so the web panel votes in round 2.
    assert client.post(reverse("surveys:round_next", args=["mayo-trd", 1]), {"mode": "all", "kind": "consensus"}).status_code == 302
    assert client.post(reverse("surveys:round_open", args=["mayo-trd", 2]), {"deadline": "2030-01-01T12:00"}).status_code == 302
    second = mayo_study.rounds.get(number=2)
    for number in range(3):
        ballot_for(second, User.objects.get(username=f"web{number}"), Ballot.Status.SUBMITTED)
    response = client.post(reverse("surveys:round_close", args=["mayo-trd", 2]))

    assert response.status_code == 302
    labels = sorted(Participant.objects.filter(study=mayo_study).values_list("label", flat=True))
    assert labels == ["P01", "P02", "P03", "P04", "P05"]
