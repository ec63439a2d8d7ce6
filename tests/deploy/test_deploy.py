"""The deployment is locked down: `check --deploy`, security headers, cookies, sign-in throttling."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]

# The production variables docs/deploy.md lists, with values of the right shape.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "PARTICIPANT_LINK_KEY": secrets.token_urlsafe(50),
    "BALLOT_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "delphi.example.org",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def check_deploy(**overrides) -> subprocess.CompletedProcess:
    # Only what a server would have: the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE,
    # for one, is rightly a deployment warning.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "DATABASE_URL") if key in os.environ}
    env.update(PRODUCTION_ENV)
    env.update(overrides)
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_the_documented_production_settings_pass_check_deploy_with_no_warning():
    result = check_deploy()

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_hsts_is_left_off():
    result = check_deploy(SECURE_HSTS_SECONDS=None)

    assert result.returncode != 0
    assert "security.W004" in result.stderr


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"SECRET_KEY": None}, "Set SECRET_KEY in the environment (it is the development value"),
        ({"SECRET_KEY": "short"}, "Set SECRET_KEY in the environment (it is shorter than 50 characters)"),
        ({"PARTICIPANT_LINK_KEY": None}, "Set PARTICIPANT_LINK_KEY to a value of its own: it is the same as SECRET_KEY"),
        ({"PARTICIPANT_LINK_KEY": "short-key"}, "Set PARTICIPANT_LINK_KEY in the environment (it is shorter than 50"),
        ({"BALLOT_KEY": None}, "Set BALLOT_KEY in the environment (it is the development value"),
        ({"BALLOT_KEY": "a" * 60}, "Set BALLOT_KEY in the environment (it is too simple)"),
    ],
    ids=["no secret key", "short secret key", "no link key", "short link key", "no ballot key", "simple ballot key"],
)
def test_with_debug_off_the_app_refuses_to_start_on_a_weak_key_and_says_what_to_set(overrides, words):
    result = check_deploy(**overrides)

    assert result.returncode != 0
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Not started: ") and words in line, result.stderr


def test_check_deploy_warns_of_a_short_secret_key_where_debug_is_on():
    result = check_deploy(DEBUG="1", SECRET_KEY="short")

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_check_deploy_warns_when_the_participant_link_key_falls_back_to_the_secret_key():
    result = check_deploy(DEBUG="1", PARTICIPANT_LINK_KEY=None)

    assert result.returncode != 0
    assert "surveys.W001" in result.stderr and "PARTICIPANT_LINK_KEY is the SECRET_KEY" in result.stderr


def test_check_deploy_warns_of_a_short_participant_link_key():
    result = check_deploy(DEBUG="1", PARTICIPANT_LINK_KEY="short-key")

    assert result.returncode != 0
    assert "surveys.W002" in result.stderr


@pytest.mark.parametrize(
    "value, code, words",
    [
        (None, "surveys.W003", "BALLOT_KEY is not set"),
        ("short-ballot-key", "surveys.W005", "BALLOT_KEY is too short"),
        ("same-as-link", "surveys.W004", "BALLOT_KEY is the same as SECRET_KEY or PARTICIPANT_LINK_KEY"),
        ("same-as-secret", "surveys.W004", "BALLOT_KEY is the same as SECRET_KEY or PARTICIPANT_LINK_KEY"),
    ],
    ids=["missing", "short", "the-link-key", "the-secret-key"],
)
def test_check_deploy_fails_without_a_ballot_key_of_its_own(value, code, words):
    if value == "same-as-link":
        value = PRODUCTION_ENV["PARTICIPANT_LINK_KEY"]
    elif value == "same-as-secret":
        value = PRODUCTION_ENV["SECRET_KEY"]

    result = check_deploy(DEBUG="1", BALLOT_KEY=value)

    assert result.returncode != 0
    assert code in result.stderr and words in result.stderr


@pytest.mark.django_db
def test_every_page_carries_a_policy_that_allows_no_inline_script(client):
    response = client.get(reverse("login"))

    policy = dict(
        (directive.split(" ", 1) + [""])[:2] for directive in response["Content-Security-Policy"].split("; ")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src-elem"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_session_cookie_is_http_only_and_lasts_a_working_day(client):
    UserFactory(username="dr.a", password="a-long-test-password")

    client.post(reverse("login"), {"username": "dr.a", "password": "a-long-test-password"})

    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["max-age"] == 8 * 60 * 60


@pytest.mark.django_db
def test_hsts_and_secure_cookies_are_sent_when_switched_on(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = True
    UserFactory(username="dr.a", password="a-long-test-password")

    response = client.post(
        reverse("login"), {"username": "dr.a", "password": "a-long-test-password"}, secure=True
    )

    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert client.cookies["sessionid"]["secure"] is True


class TestSignInThrottling:
    @pytest.fixture
    def accounts(self, db, settings):
        settings.AXES_FAILURE_LIMIT = 3
        UserFactory(username="dr.a", password="a-long-test-password")
        UserFactory(username="dr.b", password="a-long-test-password")

    def attempt(self, client, username, password):
        return client.post(reverse("login"), {"username": username, "password": password})

    def test_wrong_passwords_pause_that_account_with_a_clear_429_page(self, client, accounts):
        for _ in range(2):
            assert self.attempt(client, "dr.a", "wrong").status_code == 200

        locked = self.attempt(client, "dr.a", "wrong")
        assert locked.status_code == 429
        assert "Sign-in paused" in locked.content.decode()

        # Even the right password waits for the cool-off now.
        right = self.attempt(client, "dr.a", "a-long-test-password")
        assert right.status_code == 429
        assert "_auth_user_id" not in client.session

    def test_another_panelist_at_the_same_address_still_signs_in(self, client, accounts):
        for _ in range(3):
            self.attempt(client, "dr.a", "wrong")

        response = self.attempt(client, "dr.b", "a-long-test-password")

        assert response.status_code == 302
        assert client.session["_auth_user_id"]

    def attempt_from(self, client, address, username, password):
        # What the proxy of docs/deploy.md sends: the client's address in X-Forwarded-For.
        return client.post(
            reverse("login"), {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=address
        )

    def test_behind_the_proxy_a_stranger_cannot_pause_a_panelists_account(self, client, accounts, settings):
        settings.BEHIND_TLS_PROXY = True
        for _ in range(3):
            assert self.attempt_from(client, "203.0.113.66", "dr.a", "wrong").status_code in (200, 429)
        assert self.attempt_from(client, "203.0.113.66", "dr.a", "a-long-test-password").status_code == 429

        # The panelist, from their own address, signs in.
        response = self.attempt_from(client, "198.51.100.7", "dr.a", "a-long-test-password")
        assert response.status_code == 302

    def test_behind_the_proxy_a_forged_forwarded_address_does_not_dodge_the_lock(self, client, accounts, settings):
        settings.BEHIND_TLS_PROXY = True
        for n in range(3):
            # A client that writes its own X-Forwarded-For: a proxy that appends puts the real address last.
            self.attempt_from(client, f"10.9.9.{n}, 203.0.113.66", "dr.a", "wrong")

        assert self.attempt_from(client, "10.9.9.99, 203.0.113.66", "dr.a", "a-long-test-password").status_code == 429

    def test_without_the_proxy_the_forwarded_header_is_ignored(self, client, accounts, settings):
        settings.BEHIND_TLS_PROXY = False
        for n in range(3):
            self.attempt_from(client, f"203.0.113.{n}", "dr.a", "wrong")

        assert self.attempt_from(client, "198.51.100.7", "dr.a", "a-long-test-password").status_code == 429

    def test_a_user_name_longer_than_any_account_gets_no_500_at_the_admin_sign_in(self, client, accounts):
        # The admin's form does not limit the field; axes stores 255 characters.
        for _ in range(3):
            response = client.post(reverse("admin:login"), {"username": "x" * 300, "password": "wrong"})
            assert response.status_code in (200, 429)

        assert AccessAttempt.objects.get().username == "x" * 255

    def test_behind_the_proxy_a_forwarded_value_that_is_no_address_falls_back_to_the_peer(
        self, client, accounts, settings
    ):
        settings.BEHIND_TLS_PROXY = True

        response = self.attempt_from(client, "unknown, <script>", "dr.a", "wrong")

        assert response.status_code == 200
        assert AccessAttempt.objects.get().ip_address == "127.0.0.1"
