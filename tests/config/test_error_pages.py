"""Error pages are the app's own: its layout, a landmark, the viewport for phones, and a way back."""

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def looks_like_the_app(page: str) -> None:
    assert '<main id="main"' in page
    assert 'name="viewport"' in page
    assert f'href="{reverse("surveys:home")}"' in page


def test_a_missing_page_has_the_apps_layout(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    looks_like_the_app(page)


def test_a_post_without_its_token_says_what_to_do(panelist):
    client = Client(enforce_csrf_checks=True)
    client.force_login(panelist)

    response = client.post(reverse("logout"))

    assert response.status_code == 403
    page = response.content.decode()
    assert "The form had expired" in page and "Nothing was saved" in page
    looks_like_the_app(page)


def test_the_server_error_page_renders_without_a_request():
    """Django renders 500.html with no request and no context processors."""
    page = render_to_string("500.html")

    assert "Something went wrong" in page
    looks_like_the_app(page)
