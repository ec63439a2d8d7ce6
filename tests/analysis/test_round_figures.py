"""A closed round's figures, stored where its answers are written and read in their place (RoundFigures).

Every writer of a round's answers stores them in its own transaction: the
ballot box's close, a response import and an archive restore (whose round
trip test_study_archive checks table by table); a reopen takes them away
with the answers, and a protocol deviation judges them again. Each test
compares what export_consensus writes, or the panel's feedback shows, from
the stored figures with what it gives when none are stored and everything
is computed from the answers.
"""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

import consensus
from analysis import selectors
from analysis.catalog import TABLES
from surveys.models import Ballot, Item, ItemLink, Participant, Round, RoundFigures
from surveys.services.rounds import round_open
from surveys.services.studies import study_settings_update
from surveys.selectors.feedback import round_feedback
from surveys.selectors.panelist import round_items
from tests.analysis.management.test_study_archive import PANEL, SLUG, User, archived_study  # noqa: F401 (a fixture)
from tests.factories import ballot_for, count, round_with_every_item_type
from tests.surveys.services.test_counting import likert_answer, panel

pytestmark = pytest.mark.django_db


def every_table(slug: str, number: int, *, rule: str | None = None) -> dict[str, str]:
    """Every table of the round as export_consensus writes it, every statement listed."""
    tables = {}
    for table in TABLES:
        out = StringIO()
        call_command("export_consensus", slug, "--round", str(number), "--table", table, "--format", "json", "--all",
                     *(["--rule", rule] if rule else []), stdout=out)
        tables[table] = out.getvalue()
    return tables


def afresh(slug: str, number: int, *, rule: str | None = None) -> dict[str, str]:
    """every_table with no figures stored, computed from the answers; the stored figures are left as they were."""
    with transaction.atomic():
        RoundFigures.objects.all().delete()
        tables = every_table(slug, number, rule=rule)
        transaction.set_rollback(True)
    return tables


def closed_numbers(slug: str) -> list[int]:
    return list(Round.objects.filter(study__slug=slug, status=Round.Status.CLOSED).values_list("number", flat=True))


def test_each_close_stores_its_rounds_figures_under_the_protocol_that_judges_it(archived_study):
    stored = {figures.round.number: figures for figures in RoundFigures.objects.select_related("round")}

    # Round 1 is released, round 2 closed, round 3 open: an open round has nothing to store.
    assert sorted(stored) == [1, 2] == closed_numbers(SLUG)
    for figures in stored.values():
        assert figures.protocol == figures.round.study_as_shown.protocol()


@pytest.mark.parametrize("rule", [None, "rand_ucla"], ids=["own rule", "another rule"])
def test_every_table_from_stored_figures_is_what_the_answers_give_afresh(archived_study, rule):
    for number in closed_numbers(SLUG):
        stored = every_table(SLUG, number, rule=rule)

        assert stored == afresh(SLUG, number, rule=rule)
    # Round 2's tables reach back: changes from round 1, and round 1's completers against dropouts.
    assert json.loads(stored["round-comparison"]) and json.loads(stored["attrition"])


def test_the_tables_of_a_closed_round_read_its_figures_and_count_no_answer(archived_study):
    # Kendall's W reads the ranks themselves: rankings are the one table still computed from the answers.
    with CaptureQueriesContext(connection) as queries:
        for table in TABLES.keys() - {"rankings"}:
            call_command("export_consensus", SLUG, "--round", "2", "--table", table, "--format", "csv",
                         stdout=StringIO())

    assert not [query["sql"] for query in queries if "surveys_answer" in query["sql"]]


@pytest.mark.parametrize("change", ["taken away", "stored under another protocol"])
def test_figures_changed_between_a_tables_reads_are_not_mixed_in(archived_study, monkeypatch, change):
    # A reopen or a deviation lands after a page has read the figures' protocol and before it reads their parts.
    expected = afresh(SLUG, 2)
    real_parts = selectors.figures_parts

    def changed_first(*, rounds, parts):
        if change == "taken away":
            RoundFigures.objects.all().delete()
        else:
            # A deviation's figures, under another protocol: its statistics, mixed in, would show.
            for stored in RoundFigures.objects.all():
                stored.protocol = {"rule": "another"}
                stored.stats = {key: [["n", -1]] for key in stored.stats}
                stored.save()
        return real_parts(rounds=rounds, parts=parts)

    monkeypatch.setattr(selectors, "figures_parts", changed_first)

    assert every_table(SLUG, 2) == expected


def test_a_reopen_takes_the_figures_away_and_the_next_close_stores_the_new_count(study, panelist, other_panelist):
    round_ = round_with_every_item_type(study)
    likert = round_.items.get(code="likert")
    ballot_for(round_, panelist, Ballot.Status.SUBMITTED, likert_answer(round_, 8))
    count(round_)
    assert RoundFigures.objects.get(round=round_).counts == {str(likert.pk): [[8, 1]]}

    round_open(round=round_)

    assert not RoundFigures.objects.exists()
    ballot_for(round_, other_panelist, Ballot.Status.SUBMITTED, likert_answer(round_, 3))
    count(round_)
    assert RoundFigures.objects.get(round=round_).counts == {str(likert.pk): [[3, 1], [8, 1]]}
    assert every_table(study.slug, 1) == afresh(study.slug, 1)


def test_a_protocol_deviation_judges_the_closed_rounds_again_but_not_a_released_one(archived_study):
    study = archived_study
    released_under = RoundFigures.objects.get(round__number=1).protocol

    study_settings_update(
        study=study, title=study.title, description=study.description, scale_min=study.scale_min,
        scale_neutral=study.scale_neutral, scale_max=study.scale_max, consensus_rule="percent",
        consensus_params={"percent": 60}, not_recommended_threshold=study.not_recommended_threshold,
        minimum_n=study.minimum_n, deviation_reason="The panel asked for a percentage rule.",
    )

    stored = {figures.round.number: figures.protocol for figures in RoundFigures.objects.select_related("round")}
    assert stored[1] == released_under
    study.refresh_from_db()
    assert stored[2]["consensus_rule"] == "percent" and stored[2] == study.protocol()
    with CaptureQueriesContext(connection) as queries:
        tables = every_table(SLUG, 2)
    # Read from the figures stored under the new protocol, not computed from the answers.
    assert not [query["sql"] for query in queries if '"surveys_answer"."rating"' in query["sql"]]
    assert tables == afresh(SLUG, 2)
    assert {row["rule"] for row in json.loads(tables["items"]) if row["type"] == Item.Type.LIKERT} == {"percent"}


def test_a_new_threshold_typed_on_the_settings_page_is_stored_as_the_database_holds_it(archived_study):
    study = archived_study

    study_settings_update(
        study=study, title=study.title, description=study.description, scale_min=study.scale_min,
        scale_neutral=study.scale_neutral, scale_max=study.scale_max, consensus_rule=study.consensus_rule,
        consensus_params=study.consensus_params, not_recommended_threshold=Decimal("60"),
        minimum_n=study.minimum_n, deviation_reason="The panel asked for a stricter threshold.",
    )

    # The form gives Decimal("60"), the database "60.00": the figures are stored under the latter, and read.
    study.refresh_from_db()
    assert RoundFigures.objects.get(round__number=2).protocol == study.protocol()
    with CaptureQueriesContext(connection) as queries:
        every_table(SLUG, 2)
    assert not [query["sql"] for query in queries if '"surveys_answer"."rating"' in query["sql"]]


def test_store_figures_stores_them_for_rounds_closed_before_there_were_any(archived_study):
    before = every_table(SLUG, 2)
    RoundFigures.objects.all().delete()

    out = StringIO()
    call_command("store_figures", stdout=out)

    assert out.getvalue() == "Stored the figures of 2 closed round(s) of 'mayo-trd'.\n"
    assert sorted(RoundFigures.objects.values_list("round__number", flat=True)) == [1, 2]
    assert every_table(SLUG, 2) == before


def test_store_figures_names_a_study_it_cannot_find(archived_study):
    with pytest.raises(CommandError, match="no study with slug 'nope' has a closed round"):
        call_command("store_figures", "nope", stdout=StringIO())


def test_an_import_stores_the_figures_of_every_round_it_writes(mayo_study, tmp_path):
    ratings = tmp_path / "ratings.csv"
    rows = ["round,panelist,statement,rating"]
    for panelist in range(1, 7):
        rows += [f"1,P{panelist:02d},base-main,{3 + panelist}", f"1,P{panelist:02d},cad-main,{9 - panelist % 3}",
                 f"2,P{panelist:02d},base-main,{4 + panelist % 5}"]
    ratings.write_text("\n".join(rows) + "\n", encoding="utf-8")

    call_command("import_responses", mayo_study.slug, "--ratings", str(ratings), stdout=StringIO())

    assert sorted(RoundFigures.objects.values_list("round__number", flat=True)) == [1, 2] == closed_numbers("mayo-trd")
    for number in (1, 2):
        assert every_table("mayo-trd", number) == afresh("mayo-trd", number)


def test_the_stored_figures_name_items_and_links_and_no_panelist(archived_study):
    study = archived_study
    items = {str(pk) for pk in Item.objects.filter(round__study=study).values_list("pk", flat=True)}
    links = {f"{p}-{c}" for p, c in ItemLink.objects.filter(child__round__study=study).values_list("parent", "child")}
    labels = list(Participant.objects.filter(study=study).values_list("label", flat=True))

    for stored in RoundFigures.objects.filter(round__study=study):
        figures = {part: getattr(stored, part) for part in RoundFigures.PARTS}
        for part in ("counts", "stats", "verdicts", "sensitivity", "attrition"):
            assert set(figures[part]) <= items, part
        assert set(figures["changes"]) <= links
        # Counts per rating point, not per panelist: each item's add up to its n.
        for key, counts in figures["counts"].items():
            assert sum(n for _rating, n in counts) == dict(figures["stats"][key])["n"]
        assert set(figures["sensitivity"][next(iter(figures["sensitivity"]))]) == set(consensus.RULES)
        text = json.dumps(figures)
        assert labels and not [label for label in labels if f'"{label}"' in text]


@pytest.mark.parametrize("lineage", [True, False], ids=["voting on round 3", "round 2 released"])
def test_the_panels_feedback_from_stored_counts_is_what_the_answers_give(archived_study, lineage):
    # PANEL[1] submitted rounds 1 to 3: their own earlier ratings are marked in the feedback.
    user = User.objects.get(username=PANEL[1])
    shown = Round.objects.get(study=archived_study, number=3 if lineage else 2)
    items = round_items(round=shown)

    def feedback():
        return round_feedback(round=shown, items=items, user=user, panel=6, lineage=lineage)

    with CaptureQueriesContext(connection) as queries:
        stored = feedback()
    # Read from the figures: no rating is counted.
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"] and '"rating"' in q["sql"]]
    with transaction.atomic():
        RoundFigures.objects.all().delete()
        counted = feedback()
        transaction.set_rollback(True)

    assert stored == counted
    rated = [one for shares in stored.values() for one in shares if one.bars]
    assert rated and any(one.my_rating is not None for one in rated)
