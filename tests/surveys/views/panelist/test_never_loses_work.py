"""A ballot that never loses work: autosaved drafts, and a vote from an expired session kept until the sign-in."""

import base64

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from surveys.ballot import BallotUnreadable, unseal_input
from surveys.models import Ballot, Round
from surveys.pending import SESSION_KEY
from tests.factories import ballot_for, full_answers, items_by_code, sealed_answers, sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


def vote_url(round_):
    return reverse("surveys:vote", args=[round_.study.slug, round_.number])


def autosave(client, round_, **changes):
    data = {**full_answers(round_, action="draft"), "autosave": "1", **changes}
    return client.post(vote_url(round_), data)


# -- autosave ---------------------------------------------------------------------------


def test_an_autosave_keeps_a_draft_and_answers_in_a_few_bytes(panelist_client, panelist, voting_round):
    response = autosave(panelist_client, voting_round)

    assert (response.status_code, response.json()) == (200, {"status": "saved"})
    assert Ballot.objects.get().status == Ballot.Status.DRAFT
    assert sealed_answers(voting_round, panelist)["likert"].rating == 8


def test_an_autosave_with_a_bad_answer_saves_nothing_and_says_so(panelist_client, voting_round):
    rank = items_by_code(voting_round)["rank"]
    bad = {f"item-{rank.pk}-{link.option_id}": "1" for link in rank.item_options.all()}

    response = autosave(panelist_client, voting_round, **bad)

    assert (response.status_code, response.json()) == (400, {"status": "invalid"})
    assert not Ballot.objects.exists()


def test_an_autosave_never_changes_a_submitted_ballot(panelist_client, panelist, voting_round):
    ballot_for(voting_round, panelist, Ballot.Status.SUBMITTED)

    response = autosave(panelist_client, voting_round)

    assert response.status_code == 409
    assert sealed_answers(voting_round, panelist) == {}


def test_an_autosave_into_a_closed_round_is_refused(panelist_client, voting_round):
    Round.objects.filter(pk=voting_round.pk).update(status=Round.Status.CLOSED)

    response = autosave(panelist_client, voting_round)

    assert (response.status_code, response.json()) == (403, {"status": "closed"})


def test_an_autosave_from_an_expired_session_is_refused_and_kept_nowhere(client, voting_round):
    response = autosave(client, voting_round)

    assert (response.status_code, response.json()) == (401, {"status": "signed_out"})
    assert SESSION_KEY not in client.session


# -- a vote from an expired session -------------------------------------------------------


def test_a_submit_from_an_expired_session_asks_to_sign_in_and_is_submitted_after_it(client, panelist, voting_round):
    data = full_answers(voting_round)

    response = client.post(vote_url(voting_round), data, follow=True)

    assert response.redirect_chain[-1][0] == f"{reverse('login')}?next={vote_url(voting_round)}"
    assert "Your session had ended" in response.content.decode()
    assert not Ballot.objects.exists()

    assert sign_in(client, "panelist", PASSWORD)
    page = client.get(vote_url(voting_round), follow=True)

    assert page.redirect_chain[-1][0] == reverse("surveys:home")
    assert "your answers are submitted" in page.content.decode()
    assert Ballot.objects.get().status == Ballot.Status.SUBMITTED
    assert sealed_answers(voting_round, panelist)["comment"].text == "ECT early, if she agrees."
    # Used once: the next visit finds nothing kept.
    assert SESSION_KEY not in client.session


def test_a_draft_from_an_expired_session_is_saved_after_the_sign_in(client, panelist, voting_round):
    client.post(vote_url(voting_round), full_answers(voting_round, action="draft"))
    assert sign_in(client, "panelist", PASSWORD)

    response = client.get(vote_url(voting_round), follow=True)

    assert "Draft saved" in response.content.decode()
    assert Ballot.objects.get().status == Ballot.Status.DRAFT


def test_the_kept_vote_lies_sealed_in_the_session_table_never_in_the_clear(client, panelist, voting_round):
    client.post(vote_url(voting_round), full_answers(voting_round))
    assert sign_in(client, "panelist", PASSWORD)

    # The session row now names the panelist: the answers beside it are sealed.
    stored = Session.objects.get(session_key=client.session.session_key)
    assert "ECT early" not in stored.session_data
    decoded = stored.get_decoded()
    assert decoded["_auth_user_id"] == str(panelist.pk)
    kept = decoded[SESSION_KEY]
    assert b"ECT early" not in base64.b64decode(kept["sealed"])
    # Bound to its page: it opens for this round's page only.
    with pytest.raises(BallotUnreadable):
        unseal_input(sealed=base64.b64decode(kept["sealed"]), page="/studies/other/rounds/1/")


def test_a_kept_vote_is_padded_so_its_length_does_not_tell_a_comments_length(client, voting_round):
    lengths = set()
    for comment in ("", "A much longer comment. " * 20):
        client.cookies.clear()
        data = full_answers(voting_round)
        data[f"item-{items_by_code(voting_round)['comment'].pk}"] = comment
        client.post(vote_url(voting_round), data)
        lengths.add(len(client.session[SESSION_KEY]["sealed"]))
    assert len(lengths) == 1


def test_a_kept_vote_for_a_round_that_closed_meanwhile_is_not_written(client, panelist, voting_round):
    client.post(vote_url(voting_round), full_answers(voting_round))
    Round.objects.filter(pk=voting_round.pk).update(status=Round.Status.CLOSED)
    assert sign_in(client, "panelist", PASSWORD)

    response = client.get(vote_url(voting_round))

    assert response.status_code == 403
    assert "your answers were not saved" in response.content.decode()
    assert not Ballot.objects.exists()
    assert SESSION_KEY not in client.session


def test_a_newer_vote_of_the_same_page_replaces_a_kept_one(client, panelist, voting_round):
    client.post(vote_url(voting_round), full_answers(voting_round))
    assert sign_in(client, "panelist", PASSWORD)
    newer = full_answers(voting_round, action="draft")
    newer[f"item-{items_by_code(voting_round)['likert'].pk}"] = "3"

    client.post(vote_url(voting_round), newer)
    client.get(vote_url(voting_round))

    assert Ballot.objects.get().status == Ballot.Status.DRAFT
    assert sealed_answers(voting_round, panelist)["likert"].rating == 3
