"""Tables wider than a phone scroll by keyboard, each region named; a refused sign-in is announced."""

import re

import pytest
from django.urls import reverse

from tests.analysis.panels import close, rate
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def scroll_regions(page: str) -> list[str]:
    return re.findall(r'<div class="table-responsive[^"]*"[^>]*>', page)


def assert_each_scrolls_by_keyboard(page: str) -> None:
    regions = scroll_regions(page)
    assert regions
    for region in regions:
        assert 'tabindex="0"' in region and 'role="region"' in region, region
        assert "aria-label=" in region or "aria-labelledby=" in region, region


def test_every_wide_table_a_facilitator_reads_is_a_named_region_in_the_tab_order(
    mayo_facilitator_client, mayo_study
):
    InvitationFactory(study=mayo_study, token="t")
    first = close(mayo_study.rounds.get(number=1))
    rate(first, {"base-main": [9, 8, 8]})
    slug = mayo_study.slug
    for url in (
        reverse("surveys:history", kwargs={"slug": slug}),
        reverse("surveys:study_invitations", kwargs={"slug": slug}),
        reverse("surveys:round_next", kwargs={"slug": slug, "number": 1}),
        reverse("vignettes:study_content", kwargs={"slug": slug}),
        reverse("analysis:results", kwargs={"slug": slug}) + "?round=1",
    ):
        assert_each_scrolls_by_keyboard(mayo_facilitator_client.get(url).content.decode())


def test_a_refused_sign_in_is_announced_and_takes_focus(client, panelist):
    response = client.post(reverse("login"), {"username": "panelist", "password": "not-the-password"})

    page = response.content.decode()
    alert = re.search(r'<div class="alert alert-danger" role="alert" id="sign-in-error" tabindex="-1" autofocus>'
                      r'([^<]+)</div>', page)
    assert alert and "correct username and password" in alert.group(1)
    assert page.count("correct username and password") == 1
