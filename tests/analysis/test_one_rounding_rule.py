"""A mean of 6.125 prints 6.13 and 76/9 prints 8.44 on every page, in every table and in the CSV."""

import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from surveys.ballot import AnswerInput
from surveys.models import ItemLink, Membership
from surveys.services.voting import answers_submit
from tests.analysis.panels import close, rate
from tests.factories import MembershipFactory, UserFactory, count, round_with_every_item_type

pytestmark = pytest.mark.django_db

# 49 / 8 = 6.125 exactly: half-to-even rounding (Python, pandas) prints 6.12.
SIX_ONE_TWO_FIVE = [5, 5, 6, 6, 6, 7, 7, 7]
# The paper's 8.44: 76 / 9, one of ten panelists left it blank.
EIGHT_FOUR_FOUR = [8, 8, 8, 8, 8, 9, 9, 9, 9, None]


@pytest.fixture
def closed_round(mayo_study):
    round_ = mayo_study.rounds.get(number=1)
    rate(round_, {"base-main": SIX_ONE_TWO_FIVE, "cad-main": EIGHT_FOUR_FOUR})
    return close(round_)


def export(study, table, fmt):
    out = io.StringIO()
    call_command("export_consensus", study.slug, "--table", table, "--format", fmt, "--all", stdout=out)
    return out.getvalue()


def test_the_tables_and_the_csv_print_the_paper_s_rounding(closed_round):
    rows = {row["statement"]: row for row in json.loads(export(closed_round.study, "recommendations", "json"))}
    assert rows["base-main"]["mean"] == 6.13 and rows["cad-main"]["mean"] == 8.44
    items = {row["statement"]: row for row in json.loads(export(closed_round.study, "items", "json"))}
    assert items["base-main"]["mean"] == 6.13
    csv_rows = {row["statement"]: row for row in csv.DictReader(io.StringIO(export(closed_round.study, "recommendations", "csv")))}
    assert csv_rows["base-main"]["mean"] == "6.13" and csv_rows["cad-main"]["mean"] == "8.44"
    sensitivity = {row["statement"]: row for row in json.loads(export(closed_round.study, "sensitivity", "json"))}
    assert sensitivity["base-main"]["mean"] == 6.13


def test_the_results_page_prints_the_paper_s_rounding(client, closed_round, mayo_analyst):
    client.force_login(mayo_analyst)
    page = client.get(reverse("analysis:results", args=[closed_round.study.slug]), {"include_all": "on"})
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode()))
    assert "6.13" in text and "8.44" in text
    assert "6.12" not in text
    # The verdict's reason says the same figure as the table.
    assert "mean 6.13 is not above 7" in text


def test_the_panelist_s_feedback_prints_the_same_figure(client, study):
    first = round_with_every_item_type(study, number=1)
    likert = first.items.get(code="likert")
    people = [
        MembershipFactory(study=study, role=Membership.Role.PANELIST, user=UserFactory(username=f"dr{i}"))
        for i in range(len(SIX_ONE_TWO_FIVE))
    ]
    for membership, rating in zip(people, SIX_ONE_TWO_FIVE):
        answers_submit(round=first, membership=membership, answers=[AnswerInput(item_id=likert.pk, rating=rating)])
    count(first)
    second = round_with_every_item_type(study, number=2)
    ItemLink.objects.create(parent=likert, child=second.items.get(code="likert"))

    client.force_login(people[0].user)
    page = client.get(reverse("surveys:vote", kwargs={"slug": study.slug, "number": 2})).content.decode()

    assert "mean 6.13" in re.sub(r"\s+", " ", page)


def test_the_panel_sees_quartiles_to_two_decimals_as_the_analyst_does(client, study):
    # 7 8 9 9: P25 sits at 0.25 x 3 = 0.75, 7 + 0.75 x (8 - 7) = 7.75; one decimal would print 7.8.
    first = round_with_every_item_type(study, number=1)
    likert = first.items.get(code="likert")
    people = [
        MembershipFactory(study=study, role=Membership.Role.PANELIST, user=UserFactory(username=f"dr{i}"))
        for i in range(4)
    ]
    for membership, rating in zip(people, [7, 8, 9, 9]):
        answers_submit(round=first, membership=membership, answers=[AnswerInput(item_id=likert.pk, rating=rating)])
    count(first)
    second = round_with_every_item_type(study, number=2)
    ItemLink.objects.create(parent=likert, child=second.items.get(code="likert"))
    client.force_login(people[0].user)

    page = re.sub(r"\s+", " ", client.get(reverse("surveys:vote", kwargs={"slug": study.slug, "number": 2})).content.decode())

    assert "IQR 1.25 (7.75–9)" in page and "mean 8.25" in page
