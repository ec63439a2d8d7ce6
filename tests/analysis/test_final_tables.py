"""The paper's tables across rounds: final Table 3 and 4, participant flow, attrition and comments."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.analysis.studies import three_rounds

pytestmark = pytest.mark.django_db


@pytest.fixture
def study(mayo_study):
    three_rounds(mayo_study)
    return mayo_study


def export(study, table, *args):
    out = io.StringIO()
    call_command("export_consensus", study.slug, "--table", table, "--format", "json", *args, stdout=out)
    return json.loads(out.getvalue())


def by_statement(rows):
    return {row["statement"]: row for row in rows}


def test_the_final_table_3_holds_each_statement_as_last_asked_with_when_consensus_came(study):
    rows = export(study, "final-recommendations")

    # In the study's vignette order: base, age70, metabolic, cad.
    assert [row["statement"] for row in rows] == ["base-main", "age70-main-v2", "metabolic-seizures", "cad-main"]
    final = by_statement(rows)
    # Consensus in round 1, not asked again: its round-1 figures stand.
    assert (final["base-main"]["last_round"], final["base-main"]["n"], final["base-main"]["mean"]) == (1, 10, 8.0)
    assert (final["base-main"]["first_consensus_round"], final["base-main"]["consensus_held"]) == (1, True)
    # No consensus in rounds 1 and 2, then nine ratings of 9 in round 3.
    assert (final["cad-main"]["last_round"], final["cad-main"]["n"], final["cad-main"]["mean"]) == (3, 9, 9.0)
    assert final["cad-main"]["first_consensus_round"] == 3
    # A reworded statement: consensus in round 2 under its new wording.
    assert final["age70-main-v2"]["first_consensus_round"] == 2
    assert final["age70-main-v2"]["text"] == "ECT or TMS would be my main choice(s) for this older patient."
    # A merge of metabolic-main (consensus in round 1) and seizures-main (none): first reached in round 1, held.
    assert (final["metabolic-seizures"]["first_consensus_round"], final["metabolic-seizures"]["consensus_held"]) == (1, True)
    first = study.rounds.get(number=1)
    parents = {o for code in ("metabolic-main", "seizures-main") for o in first.items.get(code=code).options.values_list("code", flat=True)}
    assert set(final["metabolic-seizures"]["options"]) == parents


def test_with_all_the_final_table_shows_lost_and_never_reached_consensus(study):
    final = by_statement(export(study, "final-recommendations", "--all"))

    # Consensus in round 2, lost in round 3 to a rating of 5.
    sud = final["sud-main"]
    assert (sud["last_round"], sud["consensus"], sud["first_consensus_round"], sud["consensus_held"]) == (3, False, 2, False)
    assert sud["min"] == 5 and sud["all_above_neutral"] is False
    # Dropped after round 1 without consensus.
    never = final["sensitivity-main"]
    assert (never["last_round"], never["consensus"], never["first_consensus_round"]) == (1, False, None)
    # The statements a merge or a carry continued are not listed again.
    assert not {"metabolic-main", "seizures-main", "age70-main"} & set(final)


def test_the_final_table_follows_only_rounds_up_to_the_one_asked(study):
    final = by_statement(export(study, "final-recommendations", "--round", "2", "--all"))

    assert (final["cad-main"]["last_round"], final["cad-main"]["consensus"]) == (2, False)
    assert (final["sud-main"]["last_round"], final["sud-main"]["consensus_held"]) == (2, True)


def test_the_final_table_4_takes_each_vignette_from_the_last_round_that_asked_it(study):
    rows = export(study, "final-not-recommended")

    assert [(r["vignette"], r["option"], r["last_round"], r["count"], r["n"], r["percent"]) for r in rows] == [
        ("base", "maoi", 1, 6, 10, 60.0),
        ("cad", "ect", 3, 5, 9, 55.6),
    ]


def test_the_flow_counts_each_round_s_panel_and_who_was_lost_or_came_back(study):
    rows = export(study, "flow")

    submitted = [(r["round"], r["n"], r["of"], r["percent"], r["lost"], r["returned"]) for r in rows if r["stage"] == "Submitted"]
    assert submitted == [(1, 10, 10, 100.0, None, None), (2, 9, 10, 90.0, 1, 0), (3, 9, 10, 90.0, 1, 1)]
    assert [r["stage"] for r in rows[:2]] == ["Invited", "Joined"]


def test_the_attrition_check_hides_a_group_smaller_than_the_minimum_n(study):
    rows = by_statement(export(study, "attrition"))

    # Nine completed round 3, one (P09) dropped out: one rating must not be shown.
    assert (rows["sud-main"]["completers"], rows["sud-main"]["dropouts"]) == (9, 1)
    assert rows["sud-main"]["median_dropouts"] is None and rows["sud-main"]["mann_whitney_p"] is None
    assert rows["sud-main"]["note"] == "a group of fewer than 3: not shown"


def test_the_attrition_check_compares_completers_and_dropouts_by_mann_whitney(study):
    study.minimum_n = 1
    study.save()

    rows = by_statement(export(study, "attrition"))

    # sud-main in round 1: completers rated 6 6 6 6 7 7 7 7 (P01-P08) and 7 (P10); P09 rated 7.
    # U for the completers: four 6s below 7 count 0, five 7s tie and count 1/2 each: 2.5.
    sud = rows["sud-main"]
    assert (sud["median_completers"], sud["median_dropouts"], sud["mean_dropouts"]) == (7.0, 7.0, 7.0)
    assert sud["mean_completers"] == 6.56  # 59 / 9
    assert sud["mann_whitney_u"] == 2.5 and 0 < sud["mann_whitney_p"] <= 1
    # Everyone rated base-main 8: nothing to test.
    assert rows["base-main"]["mann_whitney_u"] is None


def test_comments_download_unattributed_unless_pseudonyms_are_asked_for(study, client, mayo_analyst):
    rows = export(study, "comments", "--round", "1")
    assert sorted(r["comment"] for r in rows) == ["ECT first if she is suicidal", "TMS, given the cost"]
    assert set(rows[0]) == {"round", "vignette", "vignette_title", "statement", "comment"}

    named = export(study, "comments", "--round", "1", "--pseudonyms")
    assert sorted((r["pseudonym"], r["comment"]) for r in named) == [
        ("P01", "ECT first if she is suicidal"), ("P02", "TMS, given the cost")
    ]

    client.force_login(mayo_analyst)
    url = reverse("analysis:download", args=[study.slug])
    response = client.get(url, {"table": "comments", "format": "csv", "round": 1})
    assert response.status_code == 200
    assert [row["comment"] for row in csv.DictReader(io.StringIO(response.content.decode()))] != []
    assert "pseudonym" not in response.content.decode().splitlines()[0]


def test_comments_come_in_random_order(study):
    # Two comments: over 40 exports both orders turn up, a chance of 2 x 0.5^40 of failing.
    orders = {tuple(r["comment"] for r in export(study, "comments", "--round", "1")) for _ in range(40)}
    assert len(orders) == 2


def test_the_final_tables_are_on_the_results_page(study, client, mayo_analyst):
    client.force_login(mayo_analyst)
    page = client.get(reverse("analysis:results", args=[study.slug])).content.decode()

    final = page[page.index('id="table-final-recommendations"'):page.index('id="table-final-not-recommended"')]
    assert "metabolic-seizures" in final and "Consensus first reached in round" in final
    assert 'id="table-flow"' in page and 'id="table-attrition"' in page
