"""Every URL that takes a POST refuses one without a CSRF token, writes nothing, and takes one with it.

The URLs come from the authorization matrix: every route whose POST is not
answered 405 by everyone, each posted by an actor the matrix lets in (so
that the refusal is the CSRF check's, not the view's). The default test
client skips the check; these use `Client(enforce_csrf_checks=True)`.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from surveys.models import Answer, Ballot, Round, Submission
from tests.factories import sealed_answers
from tests.security.test_authorization_matrix import EXPECTED, request, urls
from tests.security.world import OPEN, SLUG, build_world, database_state

pytestmark = pytest.mark.django_db

# Who posts each route: the first of these whom the matrix lets in.
POSTERS = ("anonymous", "panelist", "facilitator", "staff")
# Outcomes of a view that did not let the actor in; a 400 or 409 did, and then judged the form.
SHUT_OUT = {"login", "admin-login", "403", "404", "405", "410"}
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def poster(row: str) -> str | None:
    for actor in POSTERS:
        if EXPECTED[row, "POST"][actor] not in SHUT_OUT:
            return actor
    return None


def posted_routes() -> list[str]:
    return sorted({row for row, method in EXPECTED if method == "POST" and poster(row) is not None})


def csrf_client(world, actor: str) -> Client:
    # A 500 should show as one, not stop the walk.
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if world.user(actor) is not None:
        client.force_login(world.user(actor))
    return client


def token_of(client) -> str:
    """The form token of the sign-in page, as a browser reads it; the page also sets the cookie it matches."""
    page = client.get(reverse("login")).content.decode()
    return TOKEN.search(page).group(1)


def test_the_posted_routes_are_every_route_that_takes_a_post():
    # Guards the derivation: a route that takes a POST but no actor of POSTERS could
    # reach would silently drop out of the tests below.
    takes_post = {
        row
        for (row, method), outcomes in EXPECTED.items()
        if method == "POST" and set(outcomes.values()) - {"405", "login", "admin-login"}
    }

    assert set(posted_routes()) == takes_post
    assert {"login", "logout", "surveys:vote", "surveys:round_close", "admin:*"} <= takes_post


def test_a_post_without_a_token_is_refused_with_403_and_writes_nothing():
    world = build_world()
    before = database_state()
    clients = {actor: csrf_client(world, actor) for actor in POSTERS}
    got, writes = {}, []

    for row, url in urls(world):
        actor = poster(row)
        if actor is None:
            continue
        response, after = request(clients[actor], "POST", url)
        got[f"{row} {url} by {actor}"] = (response.status_code, b"CSRF" in response.content)
        if after != before:
            writes.append(url)

    assert set(got.values()) == {(403, True)}, {key: value for key, value in got.items() if value != (403, True)}
    assert writes == []


def test_a_post_with_the_token_gets_past_the_check():
    world = build_world()
    clients = {actor: csrf_client(world, actor) for actor in POSTERS}
    tokens = {actor: token_of(client) for actor, client in clients.items()}
    got, expected = {}, {}

    for row, url in urls(world):
        actor = poster(row)
        if actor is None:
            continue
        response, _ = request(clients[actor], "POST", url, {"csrfmiddlewaretoken": tokens[actor]})
        got[f"{row} {url} by {actor}"] = response.status_code
        # The matrix's outcome for that actor, as a status code.
        expected[f"{row} {url} by {actor}"] = 302 if EXPECTED[row, "POST"][actor] == "login" else int(
            EXPECTED[row, "POST"][actor]
        )

    assert got == expected
    assert 403 not in got.values()


def test_signing_in_needs_the_token_of_the_sign_in_form():
    world = build_world()
    client = Client(enforce_csrf_checks=True)
    credentials = {"username": world.user("panelist").username, "password": "a-long-test-password"}

    refused_ = client.post(reverse("login"), credentials)
    assert refused_.status_code == 403 and "_auth_user_id" not in client.session

    response = client.post(reverse("login"), {**credentials, "csrfmiddlewaretoken": token_of(client)})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_signing_out_needs_the_token_of_the_page_it_is_on():
    world = build_world()
    client = csrf_client(world, "panelist")
    home = client.get(reverse("surveys:home")).content.decode()

    assert client.post(reverse("logout")).status_code == 403
    assert "_auth_user_id" in client.session

    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": TOKEN.search(home).group(1)})
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_voting_needs_the_token_of_the_voting_page():
    world = build_world()
    client = csrf_client(world, "panelist")
    url = reverse("surveys:vote", kwargs={"slug": SLUG, "number": OPEN})
    page = client.get(url).content.decode()
    likert = Round.objects.get(study=world.study, number=OPEN).items.get(code="likert")
    answers = {f"item-{likert.pk}": "7", "action": "draft"}

    assert client.post(url, answers).status_code == 403
    assert not Ballot.objects.filter(round=likert.round).exists()

    response = client.post(url, {**answers, "csrfmiddlewaretoken": TOKEN.search(page).group(1)})
    assert response.status_code == 302
    assert sealed_answers(likert.round, world.user("panelist"))["likert"].rating == 7
    assert Ballot.objects.get(round=likert.round).status == "draft"
    assert not Answer.objects.filter(item=likert).exists() and not Submission.objects.filter(round=likert.round).exists()
