import pytest
from django.urls import reverse

from tests.factories import RoundFactory, StudyFactory

pytestmark = pytest.mark.django_db


def test_the_home_page_asks_a_visitor_to_sign_in(client):
    response = client.get(reverse("surveys:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


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


def test_the_home_page_lists_only_the_studies_the_user_belongs_to(client, study, panelist):
    RoundFactory(study=study, number=1)
    StudyFactory(title="Somebody else's study")
    client.force_login(panelist)

    page = client.get(reverse("surveys:home")).content.decode()

    assert study.title in page
    assert "Round 1 (Consensus): Draft" in page
    assert "Somebody else&#x27;s study" not in page


def test_the_home_page_refuses_a_post(client, panelist):
    client.force_login(panelist)

    assert client.post(reverse("surveys:home")).status_code == 405


def test_the_home_page_query_count_does_not_grow_with_studies(client, panelist, django_assert_max_num_queries):
    for _ in range(5):
        study = StudyFactory()
        study.memberships.create(user=panelist, role="panelist")
        RoundFactory.create_batch(3, study=study)
    client.force_login(panelist)

    # Expect 4 queries: session, user, memberships with studies, rounds.
    with django_assert_max_num_queries(4):
        response = client.get(reverse("surveys:home"))
    assert response.status_code == 200


def test_pages_load_bootstrap_from_static_not_a_cdn(client):
    page = client.get(reverse("login")).content.decode()

    assert "/static/vendor/bootstrap/bootstrap.min.css" in page
    assert "cdn" not in page.lower()
