"""No secret waits in the database: queued mail carries ids, tokens are stored hashed, done tasks are pruned (SPEC 5).

The audit signed in as anyone with a pending invitation from the task table
alone: it held each invitation's mail, token and all. Here the real queue
(the database backend and its worker) sends the mail, and the database is
then searched, every text column of every table, for what the mail held.
"""

import io
import re

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from surveys.models import Ballot, Invitation
from tests.factories import ballot_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def every_text_in_the_database() -> str:
    """Every value of every text or binary column of every table, as one string."""
    found = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            for field in model._meta.concrete_fields:
                if field.get_internal_type() in ("CharField", "TextField", "JSONField", "BinaryField", "EmailField",
                                                 "SlugField"):
                    column = connection.ops.quote_name(field.column)
                    # bandit: reviewed; names from model meta, quoted.
                    cursor.execute(f"SELECT {column} FROM {connection.ops.quote_name(table)}")  # nosec B608
                    found += [bytes(v).hex() if isinstance(v, bytes | memoryview) else str(v) for (v,) in cursor.fetchall()]
    return "\n".join(found)


def run_the_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO())


def test_a_queued_invitation_holds_ids_and_its_token_is_never_stored_in_clear(
    queued, facilitator_client, study, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = facilitator_client.post(
            reverse("surveys:study_invitations", kwargs={"slug": study.slug}),
            {"emails": "dr.new@example.org\ndr.two@example.org", "role": "panelist"},
        )
    assert response.status_code == 302
    (task,) = DBTaskResult.objects.all()
    # What waits in the queue: the invitations' ids, nothing to sign in with or mail with.
    assert task.args_kwargs == {"args": [], "kwargs": {"invitation_ids": sorted(Invitation.objects.values_list("pk", flat=True))}}
    assert not Invitation.objects.exclude(token_hash=None).exists()
    assert mail.outbox == []

    run_the_worker()

    links = [re.search(r"https?://\S+/invitations/(\S+)/", message.body).group(1) for message in mail.outbox]
    assert len(links) == 2
    stored = every_text_in_the_database()
    for token in links:
        assert token not in stored
        assert Invitation.objects.filter(token_hash=Invitation.hash_of(token)).exists()
    # The task's row went once it had done its work.
    assert not DBTaskResult.objects.exists()


def test_a_queued_reminder_holds_ids_and_goes_only_to_who_still_has_not_submitted(
    queued, facilitator_client, voting_round, panelist, other_panelist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = facilitator_client.post(
            reverse("surveys:round_remind", kwargs={"slug": voting_round.study.slug, "number": voting_round.number}),
            {"note": "Please vote."},
        )
    assert response.status_code == 302
    (task,) = DBTaskResult.objects.all()
    kwargs = task.args_kwargs["kwargs"]
    assert set(kwargs) == {"round_id", "membership_ids", "event_id"}
    assert "example.org" not in str(task.args_kwargs)
    # One of the two submits before the worker gets to the queue: only the other is mailed.
    ballot_for(voting_round, panelist, Ballot.Status.SUBMITTED)

    run_the_worker()

    assert [message.to for message in mail.outbox] == [[other_panelist.email]]
    assert not DBTaskResult.objects.exists()


def test_a_queued_password_reset_holds_the_accounts_id_and_its_link_is_made_by_the_worker(
    queued, client, panelist, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://delphi.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": panelist.email.upper()})
    assert response.status_code == 302
    (task,) = DBTaskResult.objects.all()
    # What waits in the queue: the account's id, no token, no address.
    assert task.args_kwargs == {"args": [], "kwargs": {"user_ids": [panelist.pk]}}
    assert mail.outbox == []

    run_the_worker()

    (message,) = mail.outbox
    assert message.to == [panelist.email]
    token = re.search(r"https://delphi\.example\.org/accounts/reset/[^/\s]+/([^/\s]+)/", message.body).group(1)
    stored = every_text_in_the_database()
    assert token not in stored
    # Nor is the email asked for kept in the rate limit's record: only keyed hashes.
    assert panelist.email.upper() not in stored and stored.count(panelist.email) == 1
    assert not DBTaskResult.objects.exists()
