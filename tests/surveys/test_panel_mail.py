"""The panel hears from the study without the facilitator typing each mail: a round opens, results are out,
and reminders at the times the facilitator set go to those who have not submitted, through the task worker."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from surveys.models import Ballot, Membership, Round
from tests.factories import MembershipFactory, UserFactory, ballot_for, count

pytestmark = pytest.mark.django_db


def url(name: str, round_: Round) -> str:
    return reverse(f"surveys:{name}", kwargs={"slug": round_.study.slug, "number": round_.number})


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def draft(voting_round, panelist, other_panelist, analyst):
    """A draft round of a study with two panelists, an analyst, the facilitator, and one invitee not joined yet."""
    MembershipFactory(study=voting_round.study, role=Membership.Role.PANELIST, is_active=False,
                      user=UserFactory(username="not_joined"))
    Round.objects.filter(pk=voting_round.pk).update(status=Round.Status.DRAFT)
    voting_round.refresh_from_db()
    return voting_round


def open_it(client, round_, **data):
    return client.post(url("round_open", round_), data)


def test_opening_a_round_mails_each_panelist_its_deadline_and_link(
    facilitator_client, draft, django_capture_on_commit_callbacks
):
    deadline = timezone.now() + timedelta(days=5)
    with django_capture_on_commit_callbacks(execute=True):
        response = open_it(facilitator_client, draft, deadline=local(deadline))

    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["other_panelist@example.org", "panelist@example.org"]
    message = mail.outbox[0]
    assert "Round 1 of the Delphi study" in message.subject and "is open" in message.subject
    assert f"It closes on {timezone.localtime(deadline):%-d %b %Y, %H:%M} (UTC)." in message.body
    assert url("vote", draft) in message.body


def test_a_reopened_round_does_not_announce_itself_again(facilitator_client, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        open_it(facilitator_client, draft)
        facilitator_client.post(url("round_close", draft))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        open_it(facilitator_client, draft)

    assert mail.outbox == []


def test_released_results_are_announced_to_the_panel(facilitator_client, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        open_it(facilitator_client, draft)
        facilitator_client.post(url("round_close", draft))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        facilitator_client.post(url("round_release", draft))

    assert sorted(m.to[0] for m in mail.outbox) == ["other_panelist@example.org", "panelist@example.org"]
    assert all(url("results", draft) in m.body and "results of round 1" in m.subject for m in mail.outbox)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"reminder_days": "3"}, "Reminders before the deadline need a deadline."),
        ({"reminder_days": "three"}, "Give whole numbers of days"),
        ({"reminder_days": "0"}, "Give days from 1 to 60"),
    ],
)
def test_bad_reminder_days_are_refused_at_their_field(facilitator_client, draft, data, message):
    if data["reminder_days"] == "0":
        data = {**data, "deadline": local(timezone.now() + timedelta(days=5))}
    response = open_it(facilitator_client, draft, **data)

    assert response.status_code in (400, 409)
    assert message in " ".join(response.context["form"].errors["reminder_days"])
    draft.refresh_from_db()
    assert draft.status == Round.Status.DRAFT


def run_the_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO())


def scheduled() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path="surveys.tasks.scheduled_reminders", status="READY")
                .order_by("run_after"))


@pytest.mark.django_db(transaction=True)
def test_scheduled_reminders_run_through_the_worker_and_reach_only_those_who_have_not_submitted(
    settings, facilitator_client, draft, panelist, other_panelist
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    deadline = timezone.now().replace(second=0, microsecond=0) + timedelta(days=5)

    open_it(facilitator_client, draft, deadline=local(deadline), reminder_days="3, 1")
    run_the_worker()  # the opening news goes now; the reminders wait for their times

    assert sorted(m.to[0] for m in mail.outbox) == ["other_panelist@example.org", "panelist@example.org"]
    three, one = scheduled()
    assert (three.run_after, one.run_after) == (deadline - timedelta(days=3), deadline - timedelta(days=1))
    mail.outbox.clear()
    draft.refresh_from_db()
    ballot_for(draft, panelist, Ballot.Status.SUBMITTED)

    # Three days before the deadline: the worker reminds whoever has not submitted.
    DBTaskResult.objects.filter(pk=three.pk).update(run_after=timezone.now())
    run_the_worker()

    assert [m.to for m in mail.outbox] == [["other_panelist@example.org"]]
    assert "Reminder: round 1" in mail.outbox[0].subject
    assert DBTaskResult.objects.get(pk=one.pk).status == "READY"

    # The deadline moves: the reminder set for the old one sends nothing, and the new one is scheduled.
    mail.outbox.clear()
    later = deadline + timedelta(days=2)
    facilitator_client.post(url("round_extend", draft), {"deadline": local(later)})
    DBTaskResult.objects.filter(pk=one.pk).update(run_after=timezone.now())
    run_the_worker()

    assert mail.outbox == []
    assert [task.run_after for task in scheduled()] == [later - timedelta(days=3), later - timedelta(days=1)]


@pytest.mark.django_db(transaction=True)
def test_a_round_closed_before_its_reminder_sends_nothing(settings, facilitator_client, draft):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    deadline = timezone.now() + timedelta(days=5)
    open_it(facilitator_client, draft, deadline=local(deadline), reminder_days="1")
    run_the_worker()
    mail.outbox.clear()
    draft.refresh_from_db()
    count(draft)

    DBTaskResult.objects.filter(task_path="surveys.tasks.scheduled_reminders").update(run_after=timezone.now())
    run_the_worker()

    assert mail.outbox == []
