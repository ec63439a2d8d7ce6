"""A study keeps its times in its own time zone: deadlines are typed, shown and mailed in it, the zone named."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse

from surveys.models import AuditEvent, Round, Study
from tests.factories import StudyFactory, round_with_every_item_type

pytestmark = pytest.mark.django_db

SHOWN = "20 Jan 2027, 17:00 (America/Chicago)"


def url(name: str, round_: Round) -> str:
    return reverse(f"surveys:{name}", kwargs={"slug": round_.study.slug, "number": round_.number})


@pytest.fixture
def chicago_round(voting_round):
    Study.objects.filter(pk=voting_round.study_id).update(time_zone="America/Chicago")
    Round.objects.filter(pk=voting_round.pk).update(status=Round.Status.DRAFT)
    voting_round.refresh_from_db()
    return voting_round


def test_a_deadline_typed_by_a_facilitator_six_hours_behind_utc_is_their_local_time(
    facilitator_client, chicago_round, client, panelist
):
    response = facilitator_client.post(url("round_open", chicago_round), {"deadline": "2027-01-20T17:00"})

    assert response.status_code == 302
    chicago_round.refresh_from_db()
    assert chicago_round.deadline == datetime(2027, 1, 20, 23, 0, tzinfo=UTC)
    assert SHOWN in facilitator_client.get(url("round_manage", chicago_round)).content.decode()
    assert "until 2027-01-20 17:00 America/Chicago" in AuditEvent.objects.get(action="open").summary
    from django.test import Client

    client = Client()
    client.force_login(panelist)
    assert SHOWN in client.get(url("vote", chicago_round)).content.decode()
    assert SHOWN in client.get(reverse("surveys:home")).content.decode()


def test_the_deadline_field_names_the_zone_it_is_typed_in(facilitator_client, chicago_round):
    page = facilitator_client.get(url("round_open", chicago_round)).content.decode()

    assert "In the study's time zone, America/Chicago." in page


def test_reminders_give_the_deadline_in_the_studys_zone(
    facilitator_client, chicago_round, panelist, django_capture_on_commit_callbacks
):
    facilitator_client.post(url("round_open", chicago_round), {"deadline": "2027-01-20T17:00"})

    with django_capture_on_commit_callbacks(execute=True):
        facilitator_client.post(url("round_remind", chicago_round), {"note": ""})

    assert mail.outbox and all(f"It closes on {SHOWN}." in message.body for message in mail.outbox)


def test_the_zone_of_one_study_does_not_follow_into_the_next_request(facilitator_client, chicago_round, facilitator):
    """Django keeps the active zone per thread: a Chicago page must not leave it for another study's page."""
    from surveys.models import Membership
    from tests.factories import MembershipFactory

    other = round_with_every_item_type(StudyFactory(), number=1)
    MembershipFactory(study=other.study, user=facilitator, role=Membership.Role.FACILITATOR)
    Round.objects.filter(pk=other.pk).update(deadline=datetime(2027, 1, 20, 23, 0, tzinfo=UTC))

    facilitator_client.get(url("round_manage", chicago_round))
    page = facilitator_client.get(reverse("surveys:history", kwargs={"slug": other.study.slug}))
    home = facilitator_client.get(reverse("surveys:home")).content.decode()

    assert page.status_code == 200
    assert "20 Jan 2027, 23:00 (UTC)" in home


def test_an_unknown_zone_is_refused_at_its_field(facilitator_client, chicago_round):
    study = chicago_round.study
    data = {
        "title": study.title, "description": "", "scale_min": 1, "scale_neutral": 5, "scale_max": 9,
        "consensus_rule": "mayo", "consensus_params": "{}", "not_recommended_threshold": "50",
        "time_zone": "Mars/Olympus_Mons",
    }

    response = facilitator_client.post(reverse("surveys:study_settings", kwargs={"slug": study.slug}), data)

    assert response.status_code == 400
    assert "Select a valid choice" in " ".join(response.context["form"].errors["time_zone"])
    study.refresh_from_db()
    assert study.time_zone == "America/Chicago"
