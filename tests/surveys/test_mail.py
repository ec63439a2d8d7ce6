"""The platform's mail cannot be turned into a relay, and none of it is lost without a word.

Invitations and reminders are the only mail a facilitator sends. Each is a
fixed text naming the study and the platform, with plain-text subjects; a
study and a facilitator may send only so much in 24 hours; a mail the server
refuses is shown on the invitations page and tried again by the worker.
"""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from surveys.models import AuditEvent, Ballot, Invitation, Membership
from surveys.tasks import reminders_mail
from tests import mailservers
from tests.factories import MembershipFactory, StudyFactory, UserFactory, ballot_for, round_with_every_item_type

pytestmark = pytest.mark.django_db


def invite(client, study, emails: str, role: str = "panelist"):
    return client.post(reverse("surveys:study_invitations", kwargs={"slug": study.slug}), {"emails": emails, "role": role})


def remind(client, round_, note: str = ""):
    url = reverse("surveys:round_remind", kwargs={"slug": round_.study.slug, "number": round_.number})
    return client.post(url, {"note": note})


def invitations_page(client, study) -> str:
    return client.get(reverse("surveys:study_invitations", kwargs={"slug": study.slug})).content.decode()


@pytest.fixture
def refusing_server(settings):
    settings.EMAIL_BACKEND = "tests.mailservers.RefusingBackend"
    mailservers.REFUSED.clear()
    yield mailservers.REFUSED
    mailservers.REFUSED.clear()


@pytest.fixture
def queued(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


# The worker closes its database connection after a batch, as in production:
# its tests run outside a test transaction.
WORKER = pytest.mark.django_db(transaction=True)


def run_the_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO())


# -- what the mail says ---------------------------------------------------------------


def test_subjects_are_plain_text_and_name_the_platform(
    facilitator_client, study, settings, django_capture_on_commit_callbacks
):
    settings.PLATFORM_NAME = "Mayo Delphi"
    study.title = 'Lithium & "TRD" <2026>'
    study.save(update_fields=["title"])
    open_round = round_with_every_item_type(study)
    MembershipFactory(study=study, role="panelist", user=UserFactory(username="waiting"))

    with django_capture_on_commit_callbacks(execute=True):
        invite(facilitator_client, study, "dr.new@example.org")
        remind(facilitator_client, open_round)

    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects[0] == 'Invitation to the Delphi study “Lithium & "TRD" <2026>” on Mayo Delphi'
    assert subjects[-1] == 'Reminder: round 1 of the Delphi study “Lithium & "TRD" <2026>” on Mayo Delphi'
    assert all("&quot;" not in message.body + message.subject for message in mail.outbox)


def test_a_title_holding_a_line_break_still_gives_a_one_line_subject(
    facilitator_client, study, django_capture_on_commit_callbacks
):
    # A study saved before titles were checked for line breaks.
    study.title = "First line\r\nBcc: everyone@example.org"
    study.save(update_fields=["title"])

    with django_capture_on_commit_callbacks(execute=True):
        invite(facilitator_client, study, "dr.new@example.org\ndr.two@example.org")

    assert [message.to for message in mail.outbox] == [["dr.new@example.org"], ["dr.two@example.org"]]
    assert mail.outbox[0].subject == "Invitation to the Delphi study “First line Bcc: everyone@example.org” on Delphi consensus"
    assert mail.outbox[0].bcc == []


# -- how much may go -----------------------------------------------------------------


def test_a_study_past_its_mail_limit_invites_nobody_and_says_why_at_the_field(
    facilitator_client, study, settings, django_capture_on_commit_callbacks
):
    settings.MAIL_LIMIT_PER_STUDY = 5
    with django_capture_on_commit_callbacks(execute=True):
        assert invite(facilitator_client, study, "a@example.org\nb@example.org\nc@example.org").status_code == 302

    response = invite(facilitator_client, study, "d@example.org\ne@example.org\nf@example.org")

    assert response.status_code == 400
    page = response.content.decode()
    assert "This study may send 5 mails in 24 hours; 3 have gone, and this is 3 more." in page
    assert 'id="error_1_id_emails"' in page
    assert Invitation.objects.count() == 3 and len(mail.outbox) == 3
    assert not Membership.objects.filter(user__email="d@example.org").exists()


def test_the_limit_is_over_24_hours(facilitator_client, study, settings):
    settings.MAIL_LIMIT_PER_STUDY = 3
    invite(facilitator_client, study, "a@example.org\nb@example.org\nc@example.org")
    AuditEvent.objects.update(created=timezone.now() - timedelta(hours=25))

    assert invite(facilitator_client, study, "d@example.org").status_code == 302


def test_a_facilitator_past_their_limit_across_studies_invites_nobody(facilitator_client, facilitator, study, settings):
    settings.MAIL_LIMIT_PER_FACILITATOR = 4
    other = StudyFactory(slug="other")
    MembershipFactory(study=other, user=facilitator, role="facilitator")
    invite(facilitator_client, study, "a@example.org\nb@example.org\nc@example.org")

    response = invite(facilitator_client, other, "d@example.org\ne@example.org")

    assert response.status_code == 400
    assert "You may send 4 mails in 24 hours; 3 have gone, and this is 2 more." in response.content.decode()
    assert not Invitation.objects.filter(study=other).exists()


def test_reminders_count_against_the_limit_and_past_it_go_to_nobody(
    facilitator_client, study, settings, django_capture_on_commit_callbacks
):
    settings.MAIL_LIMIT_PER_STUDY = 3
    open_round = round_with_every_item_type(study)
    for name in ("p1", "p2"):
        MembershipFactory(study=study, role="panelist", user=UserFactory(username=name))
    with django_capture_on_commit_callbacks(execute=True):
        assert remind(facilitator_client, open_round).status_code == 302
        response = remind(facilitator_client, open_round)

    assert response.status_code == 409
    assert "This study may send 3 mails in 24 hours; 2 have gone, and this is 2 more." in response.content.decode()
    assert len(mail.outbox) == 2
    assert AuditEvent.objects.filter(action="remind").count() == 1


# -- a mail the server refuses ---------------------------------------------------------


def test_a_refused_invitation_does_not_stop_the_others_and_the_page_says_why(
    facilitator_client, study, refusing_server, django_capture_on_commit_callbacks
):
    refusing_server.add("typo@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = invite(facilitator_client, study, "a@example.org\ntypo@example.org\nb@example.org")

    assert response.status_code == 302
    assert sorted(message.to[0] for message in mail.outbox) == ["a@example.org", "b@example.org"]
    failed = Invitation.objects.get(email="typo@example.org")
    assert failed.delivery == Invitation.Delivery.FAILED and failed.token_hash is None
    assert failed.send_error == "The mail server refused this address."
    page = invitations_page(facilitator_client, study)
    assert "Not sent: The mail server refused this address." in page and "Check the address, then resend." in page
    # The server's own words are for the operator's log, not the page.
    assert "5.1.1" not in page


@WORKER
def test_with_the_worker_a_refused_invitation_is_tried_again_later_and_then_goes(
    queued, facilitator_client, study, refusing_server, django_capture_on_commit_callbacks
):
    refusing_server.add("busy@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        invite(facilitator_client, study, "busy@example.org")
    run_the_worker()

    invitation = Invitation.objects.get()
    assert invitation.delivery == Invitation.Delivery.RETRYING and invitation.send_attempts == 1
    assert invitation.retry_at > timezone.now()
    (retry,) = DBTaskResult.objects.filter(status="READY")
    assert retry.run_after == invitation.retry_at
    assert retry.args_kwargs["kwargs"] == {"invitation_ids": [invitation.pk]}
    assert "(1 try so far; the next at" in invitations_page(facilitator_client, study)

    # The server takes it again; the worker, once the delay has passed, sends it.
    refusing_server.clear()
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_the_worker()

    invitation.refresh_from_db()
    assert invitation.delivery == Invitation.Delivery.SENT and invitation.send_error == ""
    assert [message.to for message in mail.outbox] == [["busy@example.org"]]


@WORKER
def test_a_batch_the_server_refuses_is_tried_again_as_one_task(
    queued, facilitator_client, study, refusing_server, django_capture_on_commit_callbacks
):
    addresses = [f"dr{i}@example.org" for i in range(6)]
    refusing_server.update(addresses)
    with django_capture_on_commit_callbacks(execute=True):
        invite(facilitator_client, study, "\n".join(addresses))
    run_the_worker()

    (retry,) = DBTaskResult.objects.filter(status="READY")
    assert sorted(retry.args_kwargs["kwargs"]["invitation_ids"]) == sorted(Invitation.objects.values_list("pk", flat=True))
    assert set(Invitation.objects.values_list("retry_at", flat=True)) == {retry.run_after}


@WORKER
def test_a_reminder_queued_before_the_fixed_mail_still_goes_in_the_fixed_mail(
    queued, study, panelist
):
    open_round = round_with_every_item_type(study)
    member = Membership.objects.get(user=panelist)
    reminders_mail.enqueue(round_id=open_round.pk, membership_ids=[member.pk], subject="Act now", message="Please vote.")
    run_the_worker()

    (message,) = mail.outbox
    assert message.subject.startswith("Reminder: round 1 of the Delphi study") and "Please vote." in message.body


@WORKER
def test_after_the_last_try_the_worker_gives_up_and_the_page_says_so(
    queued, facilitator_client, study, refusing_server, django_capture_on_commit_callbacks
):
    refusing_server.add("gone@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        invite(facilitator_client, study, "gone@example.org")
    for _ in range(5):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_the_worker()

    invitation = Invitation.objects.get()
    assert (invitation.send_attempts, invitation.delivery) == (5, Invitation.Delivery.FAILED)
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert "Check the address, then resend." in invitations_page(facilitator_client, study)


@WORKER
def test_a_refused_reminder_is_tried_again_and_at_the_last_try_the_history_says_so(
    queued, facilitator_client, study, panelist, other_panelist, refusing_server, django_capture_on_commit_callbacks
):
    open_round = round_with_every_item_type(study)
    refusing_server.add(other_panelist.email)
    with django_capture_on_commit_callbacks(execute=True):
        remind(facilitator_client, open_round, "Two minutes, please.")
    for _ in range(5):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_the_worker()

    assert [message.to for message in mail.outbox] == [[panelist.email]]
    given_up = AuditEvent.objects.get(action="remind", actor=None)
    assert given_up.summary == "Reminders of round 1 could not be sent to 1 panelist(s)"
    assert given_up.detail["tries"] == 5 and given_up.detail["reason"] == "The mail server refused this address."
    history = facilitator_client.get(reverse("surveys:history", kwargs={"slug": study.slug})).content.decode()
    assert "could not be sent to 1 panelist(s)" in history and other_panelist.email not in history


@WORKER
def test_a_retried_reminder_skips_who_has_submitted_since(
    queued, facilitator_client, study, panelist, refusing_server, django_capture_on_commit_callbacks
):
    open_round = round_with_every_item_type(study)
    refusing_server.add(panelist.email)
    with django_capture_on_commit_callbacks(execute=True):
        remind(facilitator_client, open_round)
    run_the_worker()
    refusing_server.clear()
    ballot_for(open_round, panelist, Ballot.Status.SUBMITTED)

    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_the_worker()

    assert mail.outbox == []


def test_the_password_reset_mail_names_the_platform_and_links_to_the_site(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL, settings.PLATFORM_NAME = "https://delphi.example.org", "Mayo Delphi"
    UserFactory(username="dr-reset", email="dr.reset@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "dr.reset@example.org"})

    (message,) = mail.outbox
    assert message.subject == "Reset your password on Mayo Delphi"
    assert "https://delphi.example.org/accounts/reset/" in message.body
    assert "sent by Mayo Delphi (https://delphi.example.org)" in message.body
