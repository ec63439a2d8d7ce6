"""The voting page's shape: each vignette once with all its items, ids unique, every textarea counted as the browser counts."""

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import Round
from surveys.services.builder import matrix_add, statement_add
from surveys.services.rounds import round_open
from tests.factories import OptionFactory, RoundFactory, VignetteFactory, full_answers, items_by_code, sealed_answers

pytestmark = pytest.mark.django_db

BASE_TEXT = "Ms X is a 30-year-old woman with a third depressive episode."


@pytest.fixture
def built_in_passes(study):
    """A round built as a facilitator builds one: statements first, then a 4-point matrix, then comments.

    Each pass asks the base vignette again, so its items are not next to each other.
    """
    base = VignetteFactory(study=study, code="base", title="Base vignette", text=BASE_TEXT)
    cad = VignetteFactory(study=study, code="cad", title="Coronary artery disease", text="", base=base,
                          change="Base vignette with coronary artery disease")
    options = [OptionFactory(study=study, code=code, name=code.upper()) for code in ("tms", "ect")]
    round_ = RoundFactory(study=study, number=1, status=Round.Status.DRAFT)
    for vignette in (base, cad):
        statement_add(round=round_, vignette=vignette, code=f"{vignette.code}-main", text="TMS would be my choice.",
                      options=options[:1])
    matrix_add(round=round_, vignettes=[base, cad], options=options, item_type="categorical")
    matrix_add(round=round_, vignettes=[base, cad], options=[], item_type="comment")
    return round_open(round=round_, deadline=timezone.now() + timedelta(days=3))


def test_each_vignettes_text_appears_once_with_all_its_items_together(panelist_client, built_in_passes):
    html = panelist_client.get(reverse("surveys:vote", args=[built_in_passes.study.slug, 1])).content.decode()

    assert html.count(BASE_TEXT) == 1
    sections = html.split('<section class="vignette')[1:]
    assert len(sections) == 2
    base_items = {code for code, item in items_by_code(built_in_passes).items() if item.vignette.code == "base"}
    assert base_items == {"base-main", "base-tms", "base-ect", "base:comment"}
    for code in base_items:
        assert f'id="item-{items_by_code(built_in_passes)[code].pk}"' in sections[0]
    # The variation links to the base vignette's text instead of repeating it.
    assert 'href="#vignette-' in sections[1] and "Read the Base vignette" in sections[1]


def test_no_id_appears_twice_on_the_page(panelist_client, built_in_passes):
    html = panelist_client.get(reverse("surveys:vote", args=[built_in_passes.study.slug, 1])).content.decode()

    repeated = [i for i, n in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if n > 1]
    assert repeated == []


def test_a_comment_at_the_browsers_limit_with_line_breaks_is_accepted_and_kept_with_its_breaks(
    panelist_client, panelist, voting_round
):
    # 2,000 characters as the browser counts them: 100 lines of 19 letters and 99 breaks, 1,999 ...
    typed = "\n".join(["x" * 19] * 100) + "y"
    assert len(typed) == 2000
    data = full_answers(voting_round)
    # ... which the browser sends with each break as "\r\n": 2,099 characters.
    data[f"item-{items_by_code(voting_round)['comment'].pk}"] = typed.replace("\n", "\r\n")

    response = panelist_client.post(reverse("surveys:vote", args=[voting_round.study.slug, 1]), data)

    assert response.status_code == 302
    assert sealed_answers(voting_round, panelist)["comment"].text == typed


def test_a_comment_past_the_browsers_limit_is_refused_as_the_browser_would_count_it(panelist_client, voting_round):
    data = full_answers(voting_round)
    # 1,001 characters beyond the Basic Multilingual Plane: 2,002 as the browser counts them.
    data[f"item-{items_by_code(voting_round)['comment'].pk}"] = "\N{GRINNING FACE}" * 1001

    response = panelist_client.post(reverse("surveys:vote", args=[voting_round.study.slug, 1]), data)

    assert response.status_code == 400
    assert "at most 2000 characters (it has 2002)" in response.content.decode()


def test_the_comment_box_tells_the_browser_its_limit(panelist_client, voting_round):
    html = panelist_client.get(reverse("surveys:vote", args=[voting_round.study.slug, 1])).content.decode()

    assert re.search(r'<textarea [^>]*maxlength="2000"', html)


def test_the_released_results_show_each_vignette_once_with_all_its_items(client, panelist, built_in_passes):
    from surveys.ballot import AnswerInput
    from surveys.models import Membership
    from surveys.services.voting import answers_submit
    from tests.factories import MembershipFactory, UserFactory, count

    statements = [item for item in built_in_passes.items.all() if item.type == "likert"]
    people = [panelist] + [MembershipFactory(study=built_in_passes.study, user=UserFactory()).user for _ in range(2)]
    for user in people:
        answers_submit(
            round=built_in_passes,
            membership=Membership.objects.get(study=built_in_passes.study, user=user),
            answers=[AnswerInput(item_id=item.pk, rating=8) for item in statements],
        )
    count(built_in_passes)
    Round.objects.filter(pk=built_in_passes.pk).update(results_released_at=timezone.now())
    client.force_login(panelist)

    html = client.get(reverse("surveys:results", args=[built_in_passes.study.slug, 1])).content.decode()

    assert html.count('<h2 class="h5">Base vignette</h2>') == 1
    assert html.count('<h2 class="h5">Coronary artery disease</h2>') == 1
