"""The panelist's home: open rounds with deadline, progress and status; thanks and results for closed ones."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import Membership, Round
from surveys.ballot import AnswerInput
from surveys.services.voting import answers_save, answers_submit
from tests.factories import (
    MembershipFactory,
    RoundFactory,
    StudyFactory,
    allow_study_creation,
    round_with_every_item_type,
)

pytestmark = pytest.mark.django_db


def home_text(client):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(reverse("surveys:home")).content.decode()))


def answer_likert(round_, user, submit=False):
    likert = round_.items.get(code="likert")
    membership = Membership.objects.get(study=round_.study, user=user)
    (answers_submit if submit else answers_save)(
        round=round_, membership=membership, answers=[AnswerInput(item_id=likert.pk, rating=5)]
    )


def test_an_open_round_shows_its_deadline_progress_and_that_it_is_not_started(panelist_client, voting_round):
    voting_round.deadline = timezone.now() + timedelta(days=3)
    voting_round.save()

    text = home_text(panelist_client)

    assert "Round 1 (Consensus): Open" in text
    assert "closes" in text
    assert "Not started 0 / 6 answered Start" in text


def test_a_draft_shows_its_progress_and_a_link_to_continue(panelist_client, panelist, voting_round):
    answer_likert(voting_round, panelist)

    text = home_text(panelist_client)

    assert "Draft 1 / 6 answered Continue" in text


def test_a_submitted_round_can_still_be_changed(panelist_client, panelist, voting_round):
    answer_likert(voting_round, panelist, submit=True)

    assert "Submitted 1 / 6 answered Review or change answers" in home_text(panelist_client)


def test_a_closed_round_thanks_the_panelist_and_links_results_once_released(panelist_client, panelist, voting_round):
    answer_likert(voting_round, panelist, submit=True)
    voting_round.status = Round.Status.CLOSED
    voting_round.save()

    text = home_text(panelist_client)
    assert "Thank you for your answers." in text and "See the group results" not in text

    voting_round.results_released_at = timezone.now()
    voting_round.save()
    assert "See the group results" in home_text(panelist_client)


def test_progress_counts_only_the_users_own_answers(panelist_client, other_panelist, voting_round):
    answer_likert(voting_round, other_panelist, submit=True)

    assert "Not started 0 / 6 answered" in home_text(panelist_client)


def test_a_facilitator_gets_a_link_to_the_invitations(client, facilitator, study):
    client.force_login(facilitator)

    page = client.get(reverse("surveys:home")).content.decode()

    assert reverse("surveys:study_invitations", kwargs={"slug": study.slug}) in page


def test_facilitators_and_analysts_find_the_results_and_panelists_do_not(client, facilitator, analyst, panelist, study):
    results = reverse("analysis:results", kwargs={"slug": study.slug})

    for reader in (facilitator, analyst):
        client.force_login(reader)
        assert results in client.get(reverse("surveys:home")).content.decode()
    client.force_login(panelist)
    assert results not in client.get(reverse("surveys:home")).content.decode()


def test_the_home_page_query_count_does_not_grow_with_open_rounds(
    client, panelist, django_assert_max_num_queries
):
    for _ in range(4):
        study = StudyFactory()
        MembershipFactory(study=study, user=panelist, role=Membership.Role.PANELIST)
        round_ = round_with_every_item_type(study)
        answer_likert(round_, panelist)
    client.force_login(panelist)

    # Expect 7 queries: session, user, memberships with studies, rounds with item
    # count and completion status, the user's answer counts per open round, and
    # the account's own and its groups' permissions (may it create studies?).
    with django_assert_max_num_queries(7):
        response = client.get(reverse("surveys:home"))
    assert response.status_code == 200
    assert response.content.decode().count("1 / 6 answered") == 4


def test_the_home_page_asks_a_visitor_to_sign_in(client):
    response = client.get(reverse("surveys:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


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

    # Expect 6 queries: session, user, memberships with studies, rounds, and the
    # account's own and its groups' permissions (may it create studies?).
    with django_assert_max_num_queries(6):
        response = client.get(reverse("surveys:home"))
    assert response.status_code == 200


def test_pages_load_bootstrap_from_static_not_a_cdn(client):
    page = client.get(reverse("login")).content.decode()

    assert "/static/vendor/bootstrap/bootstrap.min.css" in page
    assert "cdn" not in page.lower()


@pytest.mark.parametrize(
    "who, offered",
    [("panelist", False), ("analyst", False), ("facilitator", True), ("outsider", True)],
)
def test_only_those_who_run_studies_are_offered_a_new_one(client, request, who, offered):
    """A creator who is only on panels sees their rounds; the creation page stays open to them."""
    user = allow_study_creation(request.getfixturevalue(who))
    client.force_login(user)

    assert ("New study" in home_text(client)) is offered
    assert client.get(reverse("surveys:study_new")).status_code == 200


def test_an_account_that_may_not_create_studies_is_never_offered_one(facilitator_client):
    assert "New study" not in home_text(facilitator_client)
