"""Asking for a password-reset link (issue 17, L6): rate-limited per address and per email, never telling who has an account.

The limits are the shipped ones, read from settings; each request names its
client's address as the proxy of docs/deploy.md does.
"""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def behind_the_proxy(settings):
    settings.BEHIND_TLS_PROXY = True


def ask(client, email, address="198.51.100.7", **extra):
    return client.post(reverse("password_reset"), {"email": email}, HTTP_X_FORWARDED_FOR=address, **extra)


def test_an_email_asked_for_too_often_is_refused_the_same_whether_or_not_it_has_an_account(client, panelist):
    refusals = []
    for email in (panelist.email, "nobody@example.org"):
        for n in range(settings.PASSWORD_RESET_EMAIL_LIMIT):
            # From a new address each time: the email's own limit holds wherever the requests come from.
            assert ask(client, email, address=f"203.0.113.{n + 1}").status_code == 302
        refusals.append(ask(client, email, address="192.0.2.1"))

    assert [r.status_code for r in refusals] == [429, 429]
    assert refusals[0].content == refusals[1].content
    assert "Reset links paused" in refusals[0].content.decode()


def test_the_email_limit_ignores_case(client, panelist):
    for n in range(settings.PASSWORD_RESET_EMAIL_LIMIT):
        ask(client, panelist.email.upper() if n % 2 else panelist.email, address=f"203.0.113.{n + 1}")

    assert ask(client, panelist.email.title(), address="192.0.2.1").status_code == 429


def test_an_address_asking_too_often_is_refused_and_another_address_is_not(client, panelist):
    for n in range(settings.PASSWORD_RESET_ADDRESS_LIMIT):
        assert ask(client, f"someone{n}@example.org").status_code == 302

    assert ask(client, panelist.email).status_code == 429
    assert ask(client, panelist.email, address="203.0.113.50").status_code == 302


def test_addresses_inside_one_ipv6_64_ask_as_one(client):
    for n in range(settings.PASSWORD_RESET_ADDRESS_LIMIT):
        ask(client, f"someone{n}@example.org", address=f"2001:db8:7:8::{n + 1:x}")

    assert ask(client, "someone-else@example.org", address="2001:db8:7:8:ffff::1").status_code == 429


def test_a_refused_request_sends_nothing(client, panelist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(settings.PASSWORD_RESET_EMAIL_LIMIT + 2):
            ask(client, panelist.email, address=f"203.0.113.{n + 1}")

    assert len(mail.outbox) == settings.PASSWORD_RESET_EMAIL_LIMIT


def test_an_email_without_an_account_is_told_the_same_and_mailed_nothing(client, panelist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = ask(client, panelist.email, follow=True)
        unknown = ask(client, "nobody@example.org", follow=True)

    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert known.content == unknown.content
    assert [message.to for message in mail.outbox] == [[panelist.email]]


def test_the_link_is_built_from_site_url_never_from_the_requests_host(
    client, panelist, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://delphi.example.org"
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]

    with django_capture_on_commit_callbacks(execute=True):
        ask(client, panelist.email, HTTP_HOST="evil.example")

    (message,) = mail.outbox
    assert "evil.example" not in message.body
    link = re.search(r"https://delphi\.example\.org(/accounts/reset/\S+/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()


def test_a_malformed_email_is_told_so_and_not_counted(client, panelist):
    for _ in range(settings.PASSWORD_RESET_EMAIL_LIMIT + 1):
        response = ask(client, "not an email")
        assert response.status_code == 200
        assert "Enter a valid email address" in response.content.decode()

    assert ask(client, panelist.email).status_code == 302


def test_asking_for_a_link_costs_the_same_few_queries_known_or_not(client, panelist, django_assert_num_queries):
    # Expect 8 queries: savepoint, the accounts of that email locked, the address's count, the
    # email's count, expired rows deleted, the new row, the accounts of that email, release.
    # The queued task follows the commit.
    for email in (panelist.email, "nobody@example.org"):
        with django_assert_num_queries(8):
            assert ask(client, email).status_code == 302
