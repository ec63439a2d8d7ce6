"""A facilitator previews a round's ballot as the panel will see it, before opening it, and nothing is saved."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.models import AuditEvent, Ballot, ItemLink, Round
from tests.factories import matrix_round
from tests.surveys.views.panelist.test_vote_queries import continued_matrix

pytestmark = pytest.mark.django_db


def preview_url(round_):
    return reverse("surveys:round_preview", args=[round_.study.slug, round_.number])


@pytest.fixture
def draft_round(study):
    return matrix_round(study, vignettes=2, options=3, status=Round.Status.DRAFT)


def test_the_preview_shows_every_item_of_a_draft_round_as_the_panel_will_see_it(facilitator_client, draft_round):
    response = facilitator_client.get(preview_url(draft_round))

    html = response.content.decode()
    assert response.status_code == 200
    assert "A preview of the ballot as each panelist will see it" in html
    assert html.count('class="item-legend"') == draft_round.items.count()
    for item in draft_round.items.all():
        assert f'id="item-{item.pk}"' in html


def test_the_preview_has_nothing_to_send_and_saves_nothing(facilitator_client, draft_round):
    html = facilitator_client.get(preview_url(draft_round)).content.decode()

    form = re.search(r"<form [^>]*class=\"vote-form\"[^>]*>", html).group(0)
    assert "method=" not in form and "data-preview" in form
    assert "csrfmiddlewaretoken" not in html.split('class="vote-form"')[1]
    assert re.search(r'value="submit" class="btn btn-primary" disabled', html)
    assert not Ballot.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_round_dashboard_links_to_the_preview_until_the_round_closes(facilitator_client, draft_round):
    manage = reverse("surveys:round_manage", args=[draft_round.study.slug, 1])

    assert preview_url(draft_round) in facilitator_client.get(manage).content.decode()
    Round.objects.filter(pk=draft_round.pk).update(status=Round.Status.CLOSED)
    assert preview_url(draft_round) not in facilitator_client.get(manage).content.decode()
    assert facilitator_client.get(preview_url(draft_round)).status_code == 404


def test_the_preview_of_a_panelists_round_is_404_to_them_and_405_to_a_post(
    client, panelist, facilitator_client, draft_round
):
    assert facilitator_client.post(preview_url(draft_round)).status_code == 405
    client.force_login(panelist)
    assert client.get(preview_url(draft_round)).status_code == 404


def test_the_preview_shows_the_last_rounds_feedback_in_the_same_few_queries_for_7_items_as_for_77(
    client, facilitator, django_assert_max_num_queries
):
    from surveys.models import Membership

    counts = []
    for options in (1, 11):
        round_ = continued_matrix(user=facilitator, options=options)
        Membership.objects.filter(study=round_.study, user=facilitator).update(role=Membership.Role.FACILITATOR)
        Round.objects.filter(pk=round_.pk).update(status=Round.Status.DRAFT)
        client.force_login(facilitator)
        # Expect at most 12: session, user, round with study (the facilitator's
        # membership checked in the same query), items with vignettes, item options,
        # the previous round's panel size, lineage with the previous wording, the
        # previous ratings' counts stored at close (none here: the round was closed
        # by hand), so previous ratings counted per item and point, previous choices
        # counted per item and option with their merges, previous comments.
        with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as queries:
            response = client.get(preview_url(round_))
        assert response.status_code == 200
        counts.append(len(queries))
        assert response.content.decode().count("The panel in round 1 (n = 5)") == ItemLink.objects.filter(
            child__round=round_
        ).exclude(child__type="comment").count()
    assert counts[0] == counts[1]
