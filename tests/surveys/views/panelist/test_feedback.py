"""Feedback from round N while voting on round N+1, released results, and anonymity on every page."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import ItemLink, Membership, Participant
from surveys.ballot import AnswerInput
from surveys.services.voting import answers_save, answers_submit
from tests.factories import MembershipFactory, UserFactory, count, round_with_every_item_type

pytestmark = pytest.mark.django_db

COMMENTS = ["<script>alert('x')</script>", "Second thought", "Third thought", "Fourth thought"]


def items_by_code(round_):
    return {item.code: item for item in round_.items.prefetch_related("item_options")}


def option_ids(item):
    return [link.option_id for link in item.item_options.order_by("position")]


def answer(round_, user, *, rating, avoid, comment, submit=True):
    items = items_by_code(round_)
    answers = [
        AnswerInput(item_id=items["likert"].pk, rating=rating),
        AnswerInput(item_id=items["avoid"].pk, options=tuple((option_ids(items["avoid"])[i], None) for i in avoid)),
        AnswerInput(item_id=items["comment"].pk, text=comment),
    ]
    membership = Membership.objects.get(study=round_.study, user=user)
    (answers_submit if submit else answers_save)(round=round_, membership=membership, answers=answers)


@pytest.fixture
def second_round(study, panelist, other_panelist):
    """Round 1 answered by a panel of five (and one draft that must not count), closed; round 2 open."""
    first = round_with_every_item_type(study, number=1)
    panel = [panelist, other_panelist] + [
        MembershipFactory(study=study, role=Membership.Role.PANELIST, user=UserFactory(password=None)).user
        for _ in range(4)
    ]
    answer(first, panelist, rating=7, avoid=[0], comment="My own <b>view</b>")
    for user, rating, avoid, comment in zip(panel[1:5], [8, 8, 9, 6], [[0], [0, 1], [], []], COMMENTS, strict=True):
        answer(first, user, rating=rating, avoid=avoid, comment=comment)
    answer(first, panel[5], rating=1, avoid=[2], comment="A draft comment", submit=False)
    count(first)
    second = round_with_every_item_type(study, number=2)
    parents, children = items_by_code(first), items_by_code(second)
    ItemLink.objects.bulk_create(ItemLink(parent=parents[code], child=children[code]) for code in children)
    return second


def vote_page(client, round_):
    return client.get(reverse("surveys:vote", kwargs={"slug": round_.study.slug, "number": round_.number}))


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_round_2_shows_round_1s_distribution_median_iqr_mean_and_consensus(panelist_client, second_round):
    page = vote_page(panelist_client, second_round).content.decode()
    text = text_of(page)

    # Ratings 7, 8, 8, 9, 6 from the five who submitted; the draft's 1 is left out.
    assert "The panel in round 1 (n = 5)" in text
    assert "Median 8 · IQR 1 (7–8) · mean 7.60" in text
    assert "Consensus reached" in text
    bar = r'<th>(\d)</th><td><span style="width:[\d.]+%"></span></td><td>(\d)'
    counts = re.findall(bar, page, re.S)
    assert dict(counts) == {"1": "0", "2": "0", "3": "0", "4": "0", "5": "0", "6": "1", "7": "1", "8": "2", "9": "1"}


def test_the_panelists_own_previous_answer_is_highlighted(panelist_client, second_round):
    page = vote_page(panelist_client, second_round).content.decode()

    assert re.search(r'<tr class="mine"><th>7</th>', page)
    assert page.count('<tr class="mine">') == 2  # the rating 7 and the option marked not recommended
    assert "Your answer then: <mark>7</mark>" in page


def test_the_not_recommended_shares_count_the_panel_that_submitted(panelist_client, second_round):
    text = text_of(vote_page(panelist_client, second_round).content.decode())

    # Option 0 marked by 3 of 5, option 1 by 1 of 5; the draft's option 2 does not count.
    assert re.search(r"TMS 60% ✓", text)
    assert re.search(r"ECT 20% ", text)
    assert re.search(r"Lithium 0% ", text)


def test_comments_are_shown_escaped_unattributed_and_in_random_order(client, second_round, other_panelist):
    client.force_login(other_panelist)
    orders = set()
    for _ in range(10):
        page = vote_page(client, second_round).content.decode()
        shown = re.findall(r"<li>(.*?)</li>", page[page.index('class="panel-comments'):].split("</details>")[0])
        orders.add(tuple(shown))
    shown = set(next(iter(orders)))

    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in shown
    assert "My own &lt;b&gt;view&lt;/b&gt;" in shown
    assert "A draft comment" not in shown
    assert len(shown) == 5
    assert len(orders) > 1
    assert "<script>alert" not in page


def test_no_page_a_panelist_sees_names_another_panelist(panelist_client, panelist, second_round):
    second_round.study.rounds.filter(number=1).update(results_released_at=timezone.now())
    pages = [
        vote_page(panelist_client, second_round),
        panelist_client.get(reverse("surveys:results", kwargs={"slug": second_round.study.slug, "number": 1})),
        panelist_client.get(reverse("surveys:home")),
    ]
    others = Membership.objects.exclude(user=panelist).select_related("user")
    labels = Participant.objects.values_list("label", flat=True)

    for response in pages:
        assert response.status_code == 200
        page = response.content.decode()
        for membership in others:
            assert membership.user.username not in page
            assert membership.user.email not in page
        for label in labels:
            assert not re.search(rf"\b{label}\b", page)


def test_the_facilitators_pages_show_no_answers_and_no_pseudonyms(client, facilitator, second_round):
    client.force_login(facilitator)
    slug = second_round.study.slug
    labels = Participant.objects.values_list("label", flat=True)

    for url in [reverse("surveys:home"), reverse("surveys:study_invitations", kwargs={"slug": slug})]:
        page = client.get(url).content.decode()
        assert "thought" not in page and "view" not in page.split("<main")[1].split("Invitations")[0]
        for label in labels:
            assert not re.search(rf"\b{label}\b", page)
    assert client.get(reverse("surveys:vote", kwargs={"slug": slug, "number": 2})).status_code == 404
    assert client.get(reverse("surveys:results", kwargs={"slug": slug, "number": 1})).status_code == 404


def test_released_results_show_the_closed_rounds_own_figures(panelist_client, second_round):
    first = second_round.study.rounds.get(number=1)
    url = reverse("surveys:results", kwargs={"slug": first.study.slug, "number": 1})
    assert panelist_client.get(url).status_code == 404

    first.results_released_at = timezone.now()
    first.save()
    text = text_of(panelist_client.get(url).content.decode())

    assert "5 panelists submitted this round." in text
    assert "Median 8 · IQR 1 (7–8) · mean 7.60" in text
    assert "Second thought" in text


def test_results_refuse_a_post_and_hide_from_outsiders(client, outsider, second_round):
    url = reverse("surveys:results", kwargs={"slug": second_round.study.slug, "number": 1})
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 405


def test_below_the_studys_minimum_n_the_panel_sees_no_distribution_and_no_comments(panelist_client, study, panelist):
    """With two answers, a distribution and one's own answer would give away the other's rating (SPEC 5)."""
    first = round_with_every_item_type(study, number=1)
    other = MembershipFactory(study=study, role=Membership.Role.PANELIST, user=UserFactory(username="the-other")).user
    answer(first, panelist, rating=7, avoid=[0], comment="Mine")
    answer(first, other, rating=3, avoid=[1], comment="The other's secret view")
    count(first)
    second = round_with_every_item_type(study, number=2)
    parents, children = items_by_code(first), items_by_code(second)
    ItemLink.objects.bulk_create(ItemLink(parent=parents[code], child=children[code]) for code in children)

    text = text_of(vote_page(panelist_client, second).content.decode())

    assert "The panel in round 1 (n = 2)" in text
    assert "Too few answers to show: the panel's answers are shown from 3 on." in text
    assert "Your answer then: 7" in text
    assert "Median" not in text and "Consensus reached" not in text and "No consensus" not in text
    assert "secret view" not in text and "anonymous comment" not in text

    study.minimum_n = 2
    study.save()
    text = text_of(vote_page(panelist_client, second).content.decode())
    assert "Median 5 · IQR" in text and "secret view" in text
