"""Errors are logged and mailed to ADMINS with their request, never with an answer, a token or a variable."""

import logging

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import InvitationFactory, full_answers, vote_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins(settings):
    settings.ADMINS = [("Operator", "ops@example.org")]


def test_a_500_on_an_invitation_link_mails_admins_without_the_token_or_the_password(admins, study, monkeypatch, caplog):
    InvitationFactory(study=study, token="the-secret-token")

    def broken(**kwargs):
        raise RuntimeError("the mail server is down")

    monkeypatch.setattr("surveys.views.invitation.invitation_accept", broken)
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post(
            reverse("surveys:invitation", kwargs={"token": "the-secret-token"}),
            {"new_password1": "a-chosen-password-77", "new_password2": "a-chosen-password-77"},
        )

    assert response.status_code == 500
    (report,) = mail.outbox
    assert report.to == ["ops@example.org"]
    text = report.subject + report.body + caplog.text
    assert "RuntimeError" in report.body and "the mail server is down" in report.body
    assert "Internal Server Error: /invitations/…/" in report.subject and "/invitations/…/" in caplog.text
    for secret in ("the-secret-token", "a-chosen-password-77"):
        assert secret not in text, secret


def test_a_500_mid_vote_mails_no_answer_and_no_local_variable(admins, panelist, voting_round, monkeypatch):
    def broken(**kwargs):
        answers = kwargs["answers"]  # noqa: F841 - a local variable a report would print
        raise RuntimeError("disk full")

    monkeypatch.setattr("surveys.services.voting.answers_submit", broken)
    client = Client(raise_request_exception=False)
    client.force_login(panelist)
    data = full_answers(voting_round)

    assert client.post(vote_url(voting_round), data).status_code == 500

    (report,) = mail.outbox
    assert "disk full" in report.body
    assert "ECT early, if she agrees." not in report.body
    assert "AnswerInput" not in report.body and "answers =" not in report.body
