"""Sign-in throttling (issue 17, M4): wrong passwords spread over many addresses, and the password-change form.

Every test uses the shipped limits (AXES_FAILURE_LIMIT per user name and
address, AXES_USERNAME_FAILURE_LIMIT per user name), read from settings so
that the tests say what the defaults promise, and each request names its
client's address as the proxy of docs/deploy.md does.
"""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"
NEW_PASSWORD = "a-new-long-password"


@pytest.fixture
def accounts(db, settings):
    settings.BEHIND_TLS_PROXY = True
    UserFactory(username="dr.a", password=PASSWORD)
    UserFactory(username="dr.b", password=PASSWORD)


def sign_in(client, address, username, password):
    return client.post(
        reverse("login"), {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=address
    )


def network(n: int) -> str:
    """An address in the n-th of many IPv6 /64 networks: what a client with a block of its own can rotate through."""
    return f"2001:db8:{n // 65536:x}:{n % 65536:x}::1"


def test_the_defaults_are_a_lenient_pair_limit_and_a_higher_user_name_limit():
    assert 3 <= settings.AXES_FAILURE_LIMIT < settings.AXES_USERNAME_FAILURE_LIMIT <= 30


def test_thirty_wrong_passwords_from_thirty_ipv6_networks_pause_the_account(client, accounts):
    for n in range(30):
        assert sign_in(client, network(n), "dr.a", "wrong").status_code in (200, 429)

    # From a network that never tried before, the right password waits too.
    right = sign_in(client, network(1000), "dr.a", PASSWORD)
    assert right.status_code == 429
    assert "Sign-in paused" in right.content.decode()
    assert "_auth_user_id" not in client.session
    # The pause is that account's: another panelist signs in.
    assert sign_in(client, network(1000), "dr.b", PASSWORD).status_code == 302


def test_wrong_passwords_below_the_user_name_limit_pause_nobody_elsewhere(client, accounts):
    for n in range(settings.AXES_USERNAME_FAILURE_LIMIT - 1):
        sign_in(client, network(n), "dr.a", "wrong")

    assert sign_in(client, network(1000), "dr.a", PASSWORD).status_code == 302


def test_a_stranger_at_one_address_cannot_pause_the_account_for_everyone(client, accounts):
    for _ in range(settings.AXES_USERNAME_FAILURE_LIMIT + 5):
        assert sign_in(client, "203.0.113.66", "dr.a", "wrong").status_code in (200, 429)

    # Paused at that address only: its tries while paused are refused, not counted.
    assert sign_in(client, "203.0.113.66", "dr.a", PASSWORD).status_code == 429
    assert sign_in(client, "198.51.100.7", "dr.a", PASSWORD).status_code == 302


def test_the_panelist_signing_in_does_not_wipe_a_strangers_count(client, accounts):
    limit = settings.AXES_USERNAME_FAILURE_LIMIT
    for n in range(limit - 1):
        sign_in(client, network(n), "dr.a", "wrong")
    assert sign_in(client, "198.51.100.7", "dr.a", PASSWORD).status_code == 302
    client.logout()

    # The stranger's next guess is the one that reaches the limit.
    assert sign_in(client, network(limit), "dr.a", "wrong").status_code == 429


def test_signing_in_forgets_the_wrong_passwords_from_that_address(client, accounts):
    for _ in range(2):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert sign_in(client, "198.51.100.7", "dr.a", "wrong").status_code == 200
        assert sign_in(client, "198.51.100.7", "dr.a", PASSWORD).status_code == 302
        client.logout()


def test_addresses_inside_one_ipv6_64_count_as_one_address(client, accounts):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"2001:db8:1:2::{n + 1:x}", "dr.a", "wrong")

    # Another address of that /64 is the same client: paused.
    assert sign_in(client, "2001:db8:1:2:ffff:ffff:ffff:ffff", "dr.a", PASSWORD).status_code == 429
    # The next /64 is another client.
    assert sign_in(client, "2001:db8:1:3::1", "dr.a", PASSWORD).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"2001:db8:1:2::"}


def test_without_the_proxy_the_peer_address_is_grouped_by_its_64_too(client, accounts, settings):
    settings.BEHIND_TLS_PROXY = False
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "dr.a", "password": "wrong"}, REMOTE_ADDR=f"2001:db8:5:6::{n + 1:x}")

    response = client.post(reverse("login"), {"username": "dr.a", "password": PASSWORD}, REMOTE_ADDR="2001:db8:5:6::99")

    assert response.status_code == 429


def test_an_ipv4_address_stays_one_address(client, accounts):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"203.0.113.{n + 1}", "dr.a", "wrong")

    assert sign_in(client, f"203.0.113.{settings.AXES_FAILURE_LIMIT + 1}", "dr.a", PASSWORD).status_code == 302


def test_an_ipv4_mapped_ipv6_address_counts_as_its_ipv4_address(client, accounts):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "::ffff:203.0.113.9", "dr.a", "wrong")

    assert sign_in(client, "203.0.113.9", "dr.a", PASSWORD).status_code == 429
    assert sign_in(client, "::ffff:203.0.113.10", "dr.a", PASSWORD).status_code == 302


class TestPasswordChange:
    @pytest.fixture
    def panelist(self, accounts, client):
        user = get_user_model().objects.get(username="dr.a")
        client.force_login(user)
        return user

    def change(self, client, old_password, address="198.51.100.7"):
        return client.post(
            reverse("password_change"),
            {"old_password": old_password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
            HTTP_X_FORWARDED_FOR=address,
        )

    def test_twelve_wrong_old_passwords_pause_the_account_there_and_at_the_sign_in_page(self, client, panelist):
        statuses = [self.change(client, f"wrong-{n}").status_code for n in range(12)]

        assert statuses[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
        assert set(statuses[settings.AXES_FAILURE_LIMIT - 1:]) == {429}
        # The right old password waits for the cool-off too, and changes nothing.
        right = self.change(client, PASSWORD)
        assert right.status_code == 429
        assert "Sign-in paused" in right.content.decode()
        panelist.refresh_from_db()
        assert panelist.check_password(PASSWORD)
        # Locked there is locked everywhere: the sign-in page from that address waits as well.
        client.logout()
        assert sign_in(client, "198.51.100.7", "dr.a", PASSWORD).status_code == 429

    def test_a_wrong_old_password_is_told_so_next_to_the_field_and_counted(self, client, panelist):
        response = self.change(client, "wrong")

        assert response.status_code == 200
        assert "Your old password was entered incorrectly" in response.content.decode()
        assert AccessAttempt.objects.get().username == "dr.a"

    def test_wrong_old_passwords_from_many_networks_count_against_the_user_name(self, client, panelist):
        for n in range(settings.AXES_USERNAME_FAILURE_LIMIT):
            self.change(client, "wrong", address=network(n))

        assert self.change(client, PASSWORD, address=network(1000)).status_code == 429

    def test_the_right_old_password_changes_it_and_keeps_the_session(self, client, panelist):
        self.change(client, "wrong")

        response = self.change(client, PASSWORD)

        assert response.status_code == 302
        panelist.refresh_from_db()
        assert panelist.check_password(NEW_PASSWORD)
        assert client.get(reverse("surveys:home")).status_code == 200

    def test_no_typed_password_is_kept_in_the_record_of_attempts(self, client, panelist):
        client.post(
            reverse("password_change"),
            {"old_password": "typed-old-secret", "new_password1": "typed-new-secret", "new_password2": "typed-new-secret"},
        )

        (attempt,) = AccessAttempt.objects.all()
        assert "typed-" not in attempt.post_data + attempt.get_data

    def test_the_admins_password_change_counts_wrong_old_passwords_too(self, client, panelist):
        panelist.is_staff = True
        panelist.save()
        url = reverse("admin:password_change")
        data = {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        for _ in range(settings.AXES_FAILURE_LIMIT):
            response = client.post(url, data, HTTP_X_FORWARDED_FOR="198.51.100.7")

        assert response.status_code == 429
        response = client.post(url, {**data, "old_password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert response.status_code == 429
        panelist.refresh_from_db()
        assert panelist.check_password(PASSWORD)

    def test_the_admins_password_change_is_for_staff_only(self, client, panelist):
        response = client.get(reverse("admin:password_change"))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
