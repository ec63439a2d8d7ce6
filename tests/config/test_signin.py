"""The sign-in page: a member signs in and lands on their studies; a wrong password is told so."""

import pytest
from django.urls import reverse


pytestmark = pytest.mark.django_db


def test_the_sign_in_page_signs_a_member_in_and_lands_on_their_studies(client, study, panelist):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="username"' in page.content

    response = client.post(
        reverse("login"), {"username": "panelist", "password": "a-long-test-password"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("surveys:home")
    assert study.title in response.content.decode()


def test_a_wrong_password_gets_a_message_on_the_sign_in_page(client, panelist):
    response = client.post(reverse("login"), {"username": "panelist", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
