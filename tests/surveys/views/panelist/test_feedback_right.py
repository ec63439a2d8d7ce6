"""Feedback that is right: merged options pool their parents, merged items keep each wording, 4-point items their words.

The study runs through the services a facilitator's and panelists' pages
call: round 1 asked per option on the 4-point scale and which options the
panelist would not recommend; round 2 is drafted from it and two options
are merged in it, as the Mayo panel folded two options into one.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.ballot import AnswerInput
from surveys.models import Item, Membership, Round
from surveys.services.builder import matrix_add, options_merge
from surveys.services.lineage import round_create_next
from surveys.services.rounds import round_open
from surveys.services.voting import answers_submit
from tests.factories import MembershipFactory, OptionFactory, RoundFactory, UserFactory, VignetteFactory, count

pytestmark = pytest.mark.django_db

# Per panelist (the first is the signed-in one): 4-point answers for TCA and MAO-I,
# and the options marked as not recommended.
ANSWERS = [
    ({"tca": 3, "maoi": 2}, ["maoi"]),
    ({"tca": 3, "maoi": 1}, ["tca"]),
    ({"tca": 4, "maoi": 2}, ["tca", "maoi"]),
    ({"tca": 2, "maoi": 3}, []),
]


@pytest.fixture
def merged_round(study, panelist):
    base = VignetteFactory(study=study, code="base", title="Base vignette", text="Ms X is 30 and has TRD.")
    options = {
        code: OptionFactory(study=study, code=code, name=name, short=name, position=i)
        for i, (code, name) in enumerate([("tca", "TCA"), ("maoi", "MAO-I"), ("ect", "ECT")])
    }
    first = RoundFactory(study=study, number=1, status=Round.Status.DRAFT)
    matrix_add(round=first, vignettes=[base], options=[options["tca"], options["maoi"]], item_type="categorical")
    matrix_add(round=first, vignettes=[base], options=list(options.values()), item_type="not_recommended")
    round_open(round=first, deadline=timezone.now() + timedelta(days=1))
    items = {item.code: item for item in first.items.all()}
    others = [MembershipFactory(study=study, user=UserFactory(username=f"p{n}")).user for n in range(3)]
    for user, (ratings, avoided) in zip([panelist, *others], ANSWERS, strict=True):
        answers = [AnswerInput(item_id=items[f"base-{code}"].pk, rating=rating) for code, rating in ratings.items()]
        answers.append(
            AnswerInput(
                item_id=items["base:not-recommended"].pk, options=tuple((options[code].pk, None) for code in avoided)
            )
        )
        answers_submit(round=first, membership=Membership.objects.get(study=study, user=user), answers=answers)
    count(first)
    second = round_create_next(round=first, carry=set(first.items.values_list("pk", flat=True)))
    options_merge(
        round=second,
        options=[options["tca"], options["maoi"]],
        code="tca-maoi",
        name="TCA or MAO-I",
        short="TCA or MAO-I",
        group="switch",
    )
    return round_open(round=second, deadline=timezone.now() + timedelta(days=1))


def page_text(client, round_) -> str:
    html = client.get(reverse("surveys:vote", kwargs={"slug": round_.study.slug, "number": round_.number}))
    assert html.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.content.decode()))


def shares(text: str) -> dict[str, str]:
    table = text[text.index("Option Panel You") :]
    return dict(re.findall(r"(TCA or MAO-I|ECT) (\d+%)", table))


def test_a_merged_options_share_counts_the_panelists_who_marked_any_of_its_parents(panelist_client, merged_round):
    text = page_text(panelist_client, merged_round)

    # MAO-I by the first and third, TCA by the second and third: three of four, the third once.
    assert shares(text) == {"TCA or MAO-I": "75%", "ECT": "0%"}


def test_a_merged_option_is_marked_as_the_panelists_own_when_they_marked_a_parent(panelist_client, merged_round):
    html = panelist_client.get(reverse("surveys:vote", args=[merged_round.study.slug, 2])).content.decode()

    assert re.search(r'<tr class="mine"><td>TCA or MAO-I</td>', html)


def test_a_merged_item_shows_each_parents_wording_and_ratings_apart(panelist_client, merged_round):
    merged = merged_round.items.get(type=Item.Type.CATEGORICAL)
    assert merged.parents.count() == 2
    text = page_text(panelist_client, merged_round)

    assert "Wording then: “How would you rate TCA as the next treatment for this patient?”" in text
    assert "Wording then: “How would you rate MAO-I as the next treatment for this patient?”" in text
    # Each parent's four answers, not eight ratings pooled from four panelists.
    assert text.count("The panel in round 1 (n = 4)") == 3
    assert "(n = 8)" not in text


def test_a_four_point_answer_then_is_shown_in_its_words(panelist_client, merged_round):
    text = page_text(panelist_client, merged_round)

    assert "Your answer then: Likely to recommend" in text
    assert "Your answer then: Likely not to recommend" in text
    assert "Your answer then: 3" not in text


def test_a_four_point_distribution_is_told_in_its_own_bands(panelist_client, merged_round):
    text = page_text(panelist_client, merged_round)

    # TCA: 3, 3, 4, 2; MAO-I: 2, 1, 2, 3.
    assert "Would recommend (likely or definitely): 75% · would not (likely not or will not): 25%" in text
    assert "Would recommend (likely or definitely): 25% · would not (likely not or will not): 75%" in text
    assert "Median" not in text


def test_the_released_results_show_a_four_point_answer_in_its_words(client, study, panelist):
    first = RoundFactory(study=study, number=1, status=Round.Status.DRAFT)
    base = VignetteFactory(study=study, code="base")
    tca = OptionFactory(study=study, code="tca", name="TCA", short="TCA")
    (item,) = matrix_add(round=first, vignettes=[base], options=[tca], item_type="categorical")
    round_open(round=first)
    people = [panelist] + [MembershipFactory(study=study, user=UserFactory(username=f"q{n}")).user for n in range(2)]
    for user, rating in zip(people, [4, 3, 1], strict=True):
        answers_submit(
            round=first,
            membership=Membership.objects.get(study=study, user=user),
            answers=[AnswerInput(item_id=item.pk, rating=rating)],
        )
    count(first)
    Round.objects.filter(pk=first.pk).update(results_released_at=timezone.now())
    client.force_login(panelist)

    html = client.get(reverse("surveys:results", args=[study.slug, 1])).content.decode()

    assert "Your answer then: <mark>Definitely recommend</mark>" in html
    assert "Would recommend (likely or definitely): 66.7%" in html
