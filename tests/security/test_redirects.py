"""`next=` never sends a signed-in person off the site."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    " https://evil.example/",
    "http://127.0.0.1.evil.example/",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_with_an_off_site_next_lands_on_the_home_page(client, target):
    UserFactory(username="dr.a")

    response = client.post(
        f"{reverse('login')}?next={target}", {"username": "dr.a", "password": "a-long-test-password", "next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:home")


def test_an_on_site_next_is_followed(client):
    UserFactory(username="dr.a")
    target = reverse("surveys:study_new")

    response = client.post(reverse("login"), {"username": "dr.a", "password": "a-long-test-password", "next": target})

    assert response["Location"] == target


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_out_with_an_off_site_next_stays_on_the_site(client, target):
    client.force_login(UserFactory(username="dr.a"))

    response = client.post(reverse("logout"), {"next": target})

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
