"""The voting page: every item type, draft and submit, bad input, closed rounds, outsiders."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import Answer, AnswerOption, Ballot, Membership, Participant, Round, Submission
from tests.factories import (
    ItemFactory,
    MembershipFactory,
    RoundFactory,
    StudyFactory,
    count,
    full_answers,
    items_by_code,
    option_ids,
    pseudonym_of,
    round_with_every_item_type,
    sealed_answers,
    vote_url,
)

pytestmark = pytest.mark.django_db


def nothing_saved():
    return not Ballot.objects.exists() and not Answer.objects.exists() and not Submission.objects.exists()


def test_the_page_groups_items_by_vignette_and_highlights_the_variations_change(panelist_client, voting_round):
    page = panelist_client.get(vote_url(voting_round)).content.decode()

    assert page.index("Base vignette") < page.index("Question likert") < page.index("Coronary artery disease")
    assert "<mark>Base vignette with coronary artery disease</mark>" in page
    for code in ("likert", "categorical", "top", "avoid", "rank", "comment"):
        assert f"<legend class=\"item-legend\">Question {code}" in page
    assert "complete disagreement" in page and "neutral" in page and "complete agreement" in page
    assert "No answer" in page


def test_every_input_has_a_label(panelist_client, voting_round):
    page = panelist_client.get(vote_url(voting_round)).content.decode()

    ids = re.findall(r'<(?:input|textarea)[^>]*\bid="([^"]+)"', page)
    assert ids
    for input_id in ids:
        assert f'for="{input_id}"' in page, input_id


def test_submitting_seals_every_answer_and_the_close_counts_it_under_the_pseudonym(
    panelist_client, panelist, voting_round
):
    response = panelist_client.post(vote_url(voting_round), full_answers(voting_round))

    assert response.status_code == 302
    membership = Membership.objects.get(user=panelist, study=voting_round.study)
    assert Ballot.objects.get(round=voting_round, membership=membership).status == "submitted"
    assert set(sealed_answers(voting_round, panelist)) == {"likert", "categorical", "top", "avoid", "rank", "comment"}
    # Nothing reaches the pseudonymous side while the round is open.
    assert not Participant.objects.exists() and not Answer.objects.exists() and not Submission.objects.exists()

    count(voting_round)
    items = items_by_code(voting_round)
    participant = pseudonym_of(voting_round.study, panelist)
    answers = {a.item.code: a for a in Answer.objects.select_related("item").filter(participant=participant)}
    assert set(answers) == {"likert", "categorical", "top", "avoid", "rank", "comment"}
    likert = answers["likert"]
    assert (likert.rating, likert.scale_min, likert.scale_max) == (8, 1, 9)
    categorical = answers["categorical"]
    assert (categorical.rating, categorical.scale_min, categorical.scale_max) == (4, 1, 4)
    assert set(answers["top"].chosen.values_list("option_id", flat=True)) == set(option_ids(items["top"])[:2])
    assert list(answers["avoid"].chosen.values_list("option_id", flat=True)) == [option_ids(items["avoid"])[2]]
    ranked = list(answers["rank"].chosen.order_by("rank").values_list("option_id", "rank"))
    assert ranked == [(option, i + 1) for i, option in enumerate(option_ids(items["rank"]))]
    assert answers["comment"].text == "ECT early, if she agrees."
    assert Submission.objects.filter(round=voting_round, participant=participant).exists()


def test_a_draft_keeps_partial_answers_and_submits_nothing(panelist_client, panelist, voting_round):
    likert = items_by_code(voting_round)["likert"]

    response = panelist_client.post(vote_url(voting_round), {f"item-{likert.pk}": "3", "action": "draft"}, follow=True)

    assert response.status_code == 200
    assert "Draft saved" in response.content.decode()
    assert {code: answer.rating for code, answer in sealed_answers(voting_round, panelist).items()} == {"likert": 3}
    assert Ballot.objects.get().status == "draft"
    count(voting_round)
    assert not Submission.objects.exists() and not Answer.objects.exists()
    assert 'value="3" checked' in response.content.decode()


def test_submitting_with_a_required_item_unanswered_names_it_and_saves_nothing(panelist_client, voting_round):
    data = full_answers(voting_round)
    likert = items_by_code(voting_round)["likert"]
    del data[f"item-{likert.pk}"]

    response = panelist_client.post(vote_url(voting_round), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="item-{likert.pk}-error"' in page and "This field is required." in page
    assert nothing_saved()


def test_no_answer_on_a_likert_statement_is_an_explicit_blank(panelist_client, voting_round):
    data = full_answers(voting_round)
    likert = items_by_code(voting_round)["likert"]
    data[f"item-{likert.pk}"] = "none"

    assert panelist_client.post(vote_url(voting_round), data).status_code == 302
    count(voting_round)

    answer = Answer.objects.get(item=likert)
    assert answer.rating is None
    assert Submission.objects.exists()


def test_a_submitted_panelist_can_revise_until_the_round_closes(panelist_client, voting_round):
    likert = items_by_code(voting_round)["likert"]
    panelist_client.post(vote_url(voting_round), full_answers(voting_round))
    revised = full_answers(voting_round) | {f"item-{likert.pk}": "6"}

    assert panelist_client.post(vote_url(voting_round), revised).status_code == 302

    assert Ballot.objects.get().status == "submitted"
    count(voting_round)
    assert Answer.objects.get(item=likert).rating == 6
    assert Submission.objects.count() == 1


def test_a_submitted_panelist_stays_submitted_and_cannot_empty_a_required_item(panelist_client, voting_round):
    likert = items_by_code(voting_round)["likert"]
    panelist_client.post(vote_url(voting_round), full_answers(voting_round))
    page = panelist_client.get(vote_url(voting_round)).content.decode()
    assert "Save draft" not in page and "Save changes" in page

    data = full_answers(voting_round, action="draft")
    del data[f"item-{likert.pk}"]
    response = panelist_client.post(vote_url(voting_round), data)

    assert response.status_code == 400
    assert Ballot.objects.get().status == "submitted"
    count(voting_round)
    assert Answer.objects.get(item=likert).rating == 8


def test_clearing_an_optional_answer_removes_it(panelist_client, voting_round):
    items = items_by_code(voting_round)
    panelist_client.post(vote_url(voting_round), full_answers(voting_round))
    data = full_answers(voting_round)
    del data[f"item-{items['avoid'].pk}"]
    data[f"item-{items['comment'].pk}"] = ""

    assert panelist_client.post(vote_url(voting_round), data).status_code == 302
    count(voting_round)

    assert Answer.objects.filter(item=items["likert"]).exists()
    assert not Answer.objects.filter(item__in=[items["avoid"], items["comment"]]).exists()
    assert not AnswerOption.objects.filter(answer__item=items["avoid"]).exists()


def _bad(round_, change):
    items = items_by_code(round_)
    data = full_answers(round_)
    return items, change(items, data) or data


def rating_of(value):
    def change(items, data):
        data[f"item-{items['likert'].pk}"] = value

    return change


def categorical_of(value):
    def change(items, data):
        data[f"item-{items['categorical'].pk}"] = value

    return change


def too_many_top_choices(items, data):
    data[f"item-{items['top'].pk}"] = [str(o) for o in option_ids(items["top"])]


def duplicate_rank(items, data):
    first, second, _third = option_ids(items["rank"])
    data[f"item-{items['rank'].pk}-{first}"] = "1"
    data[f"item-{items['rank'].pk}-{second}"] = "1"


def rank_out_of_range(items, data):
    data[f"item-{items['rank'].pk}-{option_ids(items['rank'])[0]}"] = "4"


def long_comment(items, data):
    data[f"item-{items['comment'].pk}"] = "x" * 2001


def foreign_option(items, data):
    data[f"item-{items['avoid'].pk}"] = [str(option_ids(items["avoid"])[0] + 1000)]


@pytest.mark.parametrize(
    "change, code, message",
    [
        (rating_of("10"), "likert", "Select a valid choice"),
        (rating_of("0"), "likert", "Select a valid choice"),
        (rating_of("eight"), "likert", "Select a valid choice"),
        (categorical_of("5"), "categorical", "Select a valid choice"),
        (too_many_top_choices, "top", "Choose at most 2 options; you chose 3."),
        (duplicate_rank, "rank", "Rank 1 is given to more than one option"),
        (rank_out_of_range, "rank", "Use whole numbers from 1 to 3."),
        (long_comment, "comment", "Ensure this value has at most 2000 characters"),
        (foreign_option, "avoid", "Select a valid choice"),
    ],
    ids=["rating-10", "rating-0", "rating-text", "category-5", "k-plus-1", "dup-rank", "rank-4", "long", "option"],
)
def test_bad_input_gets_a_message_at_the_field_a_400_and_saves_nothing(
    panelist_client, voting_round, change, code, message
):
    items, data = _bad(voting_round, change)

    response = panelist_client.post(vote_url(voting_round), data)

    assert response.status_code == 400
    page = response.content.decode()
    error_block = page[page.index(f'id="item-{items[code].pk}-error"') :][:400]
    assert message in error_block
    assert nothing_saved()


def test_an_item_of_another_round_in_the_post_is_refused(panelist_client, voting_round):
    other_round = RoundFactory(study=voting_round.study, number=2, status=Round.Status.OPEN)
    stranger = ItemFactory(round=other_round)
    data = full_answers(voting_round) | {f"item-{stranger.pk}": "5"}

    response = panelist_client.post(vote_url(voting_round), data)

    assert response.status_code == 400
    assert "not part of this round" in response.content.decode()
    assert nothing_saved()


def test_an_item_of_another_study_in_the_post_is_refused(panelist_client, voting_round):
    stranger = ItemFactory(round=RoundFactory(status=Round.Status.OPEN))
    data = full_answers(voting_round) | {f"item-{stranger.pk}": "5"}

    response = panelist_client.post(vote_url(voting_round), data)

    assert response.status_code == 400
    assert "not part of this round" in response.content.decode()
    assert nothing_saved()


@pytest.mark.parametrize("closing", ["closed", "past deadline"])
def test_a_post_after_the_round_closed_is_refused_and_saves_nothing(panelist_client, voting_round, closing):
    if closing == "closed":
        voting_round.status = Round.Status.CLOSED
    else:
        voting_round.deadline = timezone.now() - timedelta(minutes=1)
    voting_round.save()

    response = panelist_client.post(vote_url(voting_round), full_answers(voting_round))

    assert response.status_code == 403
    assert "This round has closed; your answers were not saved." in response.content.decode()
    assert nothing_saved()


def test_a_closed_round_shows_a_thank_you_page_instead_of_the_form(panelist_client, voting_round):
    voting_round.status = Round.Status.CLOSED
    voting_round.save()

    response = panelist_client.get(vote_url(voting_round))

    assert response.status_code == 200
    assert "Thank you for taking part" in response.content.decode()
    assert "<form method=\"post\" class=\"vote-form\"" not in response.content.decode()


@pytest.mark.parametrize("who", ["outsider", "facilitator", "analyst"])
def test_a_non_member_of_the_panel_gets_404_and_saves_nothing(client, voting_round, request, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(vote_url(voting_round)).status_code == 404
    assert client.post(vote_url(voting_round), full_answers(voting_round)).status_code == 404
    assert nothing_saved()


def test_a_panelist_of_another_study_gets_404(client, voting_round):
    stranger = MembershipFactory(study=StudyFactory(), role=Membership.Role.PANELIST).user
    client.force_login(stranger)

    assert client.get(vote_url(voting_round)).status_code == 404


def test_a_round_not_yet_open_is_hidden(panelist_client, study):
    draft = round_with_every_item_type(study, status=Round.Status.DRAFT)

    assert panelist_client.get(vote_url(draft)).status_code == 404


def test_the_voting_page_asks_a_visitor_to_sign_in(client, voting_round):
    response = client.get(vote_url(voting_round))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_voting_page_refuses_other_methods(panelist_client, voting_round):
    assert panelist_client.put(vote_url(voting_round)).status_code == 405
    assert panelist_client.delete(vote_url(voting_round)).status_code == 405


def test_answers_hold_no_link_to_the_user(panelist_client, panelist, voting_round):
    panelist_client.post(vote_url(voting_round), full_answers(voting_round))
    count(voting_round)

    assert Participant.objects.get() == pseudonym_of(voting_round.study, panelist)
    row = Answer.objects.values().first()
    # No user, no membership, and no date: the round's close date stands for every answer (SPEC 5).
    assert set(row) == {"id", "participant_id", "item_id", "rating", "scale_min", "scale_max", "text"}
