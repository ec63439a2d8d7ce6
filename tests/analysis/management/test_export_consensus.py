"""Table 3 and Table 4 of the Mayo study, and every table and format, through export_consensus."""

import io
import json

import openpyxl
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from analysis.catalog import FILE_TABLES, TABLES
from surveys.models import Round
from tests.analysis.panels import (
    comment,
    carry,
    close,
    not_recommend,
    panel,
    rate,
    select,
    submit,
)
from analysis.headers import words
from tests.analysis.tabular import assert_is_a_booktabs_longtable
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

# Final-round ratings chosen so that every mean is the paper's (Table 3), all
# ratings 6 or higher; the metabolic statement has one blank, as the paper's
# 8.44 = 76 / 9 shows.
MAYO_RATINGS = {
    "base-main": [9, 9, 9, 9, 8, 8, 8, 8, 8, 8],
    "sud-main": [9, 9, 9, 8, 8, 8, 8, 8, 8, 8],
    "age70-main": [9, 9, 9, 9, 9, 8, 8, 7, 7, 8],
    "metabolic-main": [9, 9, 9, 9, 8, 8, 8, 8, 8, None],
    "cad-main": [9, 9, 9, 9, 9, 8, 8, 8, 8, 8],
    "seizures-main": [9, 9, 9, 9, 9, 9, 8, 8, 7, 7],
    "sensitivity-main": [9, 9, 9, 9, 9, 9, 9, 8, 8, 8],
}
TABLE_3_MEANS = {
    "base-main": 8.40,
    "sud-main": 8.30,
    "age70-main": 8.30,
    "metabolic-main": 8.44,
    "cad-main": 8.50,
    "seizures-main": 8.40,
    "sensitivity-main": 8.70,
}
# Table 4 (counts of 10), plus options chosen by fewer than half, which must not be listed.
MAYO_NOT_RECOMMENDED = {
    "base": {"ect": 6, "maoi": 7, "lithium": 2},
    "sud": {"ketamine": 10, "dxm-bup": 9, "tca": 4},
    "age70": {"ketamine": 8, "maoi": 3},
    "metabolic": {"sga": 9, "mirtazapine": 8},
    "cad": {"sga": 9, "ketamine": 5, "tca": 4},
    "seizures": {"tms": 9, "ect": 1},
    "sensitivity": {"lithium": 8, "tca": 7, "maoi": 7},
}
TABLE_4 = [
    ("base", "ect", 60.0),
    ("base", "maoi", 70.0),
    ("sud", "ketamine", 100.0),
    ("sud", "dxm-bup", 90.0),
    ("age70", "ketamine", 80.0),
    ("metabolic", "sga", 90.0),
    ("metabolic", "mirtazapine", 80.0),
    ("cad", "sga", 90.0),
    ("cad", "ketamine", 50.0),
    ("seizures", "tms", 90.0),
    ("sensitivity", "lithium", 80.0),
    ("sensitivity", "tca", 70.0),
    ("sensitivity", "maoi", 70.0),
]


@pytest.fixture
def mayo_round(mayo_study):
    round_ = mayo_study.rounds.get(number=1)
    rate(round_, MAYO_RATINGS)
    for vignette, counts in MAYO_NOT_RECOMMENDED.items():
        not_recommend(round_, vignette, counts)
    return close(round_)


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_consensus", *args, stdout=out)
    return out.getvalue()


def export_json(*args) -> list[dict]:
    return json.loads(export(*args, "--format", "json"))


def test_the_mayo_panel_gives_table_3_with_the_papers_means(mayo_round):
    rows = export_json("mayo-trd", "--table", "recommendations")

    assert [row["statement"] for row in rows] == list(TABLE_3_MEANS)
    assert {row["statement"]: row["mean"] for row in rows} == TABLE_3_MEANS
    assert all(row["all_above_neutral"] and row["consensus"] for row in rows)
    assert rows[0] == {
        "vignette": "base",
        "vignette_title": "Base clinical vignette",
        "statement": "base-main",
        "text": "Augmentation with SGA, TMS, or ketamine/esketamine would be my main choice(s) "
        "as the next treatment recommendation for this patient.",
        "options": ["sga", "tms", "ketamine"],
        "n": 10,
        "min": 8,
        "mean": 8.4,
        "median": 8,
        "all_above_neutral": True,
        "consensus": True,
    }


def test_a_blank_answer_is_not_counted_in_n_or_the_mean(mayo_round):
    rows = {row["statement"]: row for row in export_json("mayo-trd", "--table", "recommendations")}

    assert rows["metabolic-main"]["n"] == 9
    assert rows["metabolic-main"]["mean"] == 8.44


def test_the_mayo_panel_gives_table_4_in_the_papers_order(mayo_round):
    rows = export_json("mayo-trd", "--table", "not-recommended")

    assert [(row["vignette"], row["option"], row["percent"]) for row in rows] == TABLE_4
    assert {row["n"] for row in rows} == {10}
    assert rows[0] == {
        "vignette": "base",
        "vignette_title": "Base clinical vignette",
        "option": "ect",
        "option_name": "Electroconvulsive therapy (ECT)",
        "count": 6,
        "n": 10,
        "percent": 60.0,
    }


def test_exactly_half_the_panel_is_listed_and_a_higher_threshold_drops_it(mayo_round, mayo_study):
    listed = {(r["vignette"], r["option"]) for r in export_json("mayo-trd", "--table", "not-recommended")}
    assert ("cad", "ketamine") in listed
    assert ("cad", "tca") not in listed

    mayo_study.not_recommended_threshold = 51
    mayo_study.save()

    listed = {(r["vignette"], r["option"]) for r in export_json("mayo-trd", "--table", "not-recommended")}
    assert ("cad", "ketamine") not in listed
    assert ("cad", "sga") in listed


def test_the_threshold_counts_panelists_who_submitted_even_if_they_marked_nothing(mayo_study):
    round_ = mayo_study.rounds.get(number=1)
    rate(round_, {"base-main": [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]})
    not_recommend(round_, "base", {"ect": 6})
    close(round_)

    rows = export_json("mayo-trd", "--table", "not-recommended")

    assert rows == [
        {"vignette": "base", "vignette_title": "Base clinical vignette", "option": "ect",
         "option_name": "Electroconvulsive therapy (ECT)", "count": 6, "n": 12, "percent": 50.0}
    ]


def test_one_rating_of_five_keeps_a_statement_out_unless_all_are_asked_for(mayo_study):
    round_ = mayo_study.rounds.get(number=1)
    rate(round_, {"base-main": [9, 9, 9, 9, 9, 9, 9, 9, 9, 5], "cad-main": [8] * 10})
    close(round_)

    assert [r["statement"] for r in export_json("mayo-trd", "--table", "recommendations")] == ["cad-main"]

    everything = {r["statement"]: r for r in export_json("mayo-trd", "--table", "recommendations", "--all")}
    assert everything["base-main"]["consensus"] is False
    assert everything["base-main"]["all_above_neutral"] is False
    assert everything["base-main"]["min"] == 5
    assert everything["base-main"]["mean"] == 8.6
    assert everything["sud-main"]["n"] == 0
    assert everything["sud-main"]["consensus"] is False


def test_a_mean_of_exactly_seven_is_not_consensus(mayo_study):
    round_ = mayo_study.rounds.get(number=1)
    rate(round_, {"base-main": [7] * 10})
    close(round_)

    (row,) = [r for r in export_json("mayo-trd", "--table", "recommendations", "--all") if r["n"]]

    assert (row["mean"], row["all_above_neutral"], row["consensus"]) == (7.0, True, False)


def test_answers_of_a_panelist_who_did_not_submit_are_not_counted(mayo_study):
    round_ = mayo_study.rounds.get(number=1)
    rate(round_, {"base-main": [9, 9, 9]})
    rate(round_, {"cad-main": [1, 1, 1, 1]}, submitted=False)
    close(round_)

    rows = {r["statement"]: r for r in export_json("mayo-trd", "--table", "recommendations", "--all")}

    assert rows["cad-main"]["n"] == 3  # P01-P03 submitted (their blanks for cad), P04 only drafted
    assert rows["cad-main"]["min"] == 1 and rows["base-main"]["n"] == 3


def test_the_round_defaults_to_the_last_closed_one(mayo_study):
    first = mayo_study.rounds.get(number=1)
    rate(first, {"base-main": [6] * 10})
    second = carry(close(first))
    rate(second, {"base-main": [9] * 10})
    third = carry(close(second))
    rate(third, {"base-main": [1] * 10})
    third.status = Round.Status.OPEN
    third.save()

    (row,) = [r for r in export_json("mayo-trd", "--table", "recommendations", "--all") if r["n"]]
    assert row["mean"] == 9.0

    (row,) = [r for r in export_json("mayo-trd", "--round", "1", "--table", "recommendations", "--all") if r["n"]]
    assert row["mean"] == 6.0


def test_the_sensitivity_table_shows_where_the_rules_disagree(mayo_study):
    round_ = mayo_study.rounds.get(number=1)
    # Mean 7.9 but one 5: not consensus under mayo; 90% in 7-9 is consensus by percent and COMET.
    rate(round_, {"base-main": [9, 9, 9, 8, 8, 8, 8, 8, 7, 5], "cad-main": [9] * 10})
    close(round_)

    rows = {r["statement"]: r for r in export_json("mayo-trd", "--table", "sensitivity")}

    base = rows["base-main"]
    assert (base["mayo"], base["percent"], base["comet"], base["median_iqr"]) == (False, True, True, True)
    assert base["rand_ucla_status"] == "appropriate"
    assert base["rules_agree"] is False
    assert rows["cad-main"]["rules_agree"] is True


def test_the_items_table_gives_every_statistic_and_the_reasons(mayo_study):
    round_ = mayo_study.rounds.get(number=1)
    rate(round_, {"base-main": [9, 9, 9, 8, 8, 8, 8, 8, 7, 5]})
    close(round_)

    rows = {r["statement"]: r for r in export_json("mayo-trd", "--table", "items")}

    base = rows["base-main"]
    assert (base["n"], base["mean"], base["median"], base["min"], base["max"]) == (10, 7.9, 8.0, 5.0, 9.0)
    assert (base["count_5"], base["count_8"], base["count_9"]) == (1, 5, 3)
    assert (base["p25"], base["p75"], base["iqr"]) == (8.0, 8.75, 0.75)
    assert base["consensus"] is False
    assert "min rating 5 is not above neutral 5" in base["reasons"]


def test_another_rule_can_judge_the_same_round(mayo_study):
    round_ = mayo_study.rounds.get(number=1)
    rate(round_, {"base-main": [9, 9, 9, 8, 8, 8, 8, 8, 7, 5]})
    close(round_)

    assert export_json("mayo-trd", "--table", "recommendations") == []
    (row,) = export_json("mayo-trd", "--table", "recommendations", "--rule", "percent")
    assert row["statement"] == "base-main" and row["consensus"] is True


def test_the_round_comparison_follows_the_lineage(mayo_study):
    first = mayo_study.rounds.get(number=1)
    rate(first, {"base-main": [5, 6, 7, 8, 9, 9]})
    second = carry(close(first))
    rate(second, {"base-main": [7, 7, 8, 8, 9, 9]})
    close(second)

    rows = [r for r in export_json("mayo-trd", "--table", "round-comparison") if r["statement"] == "base-main"]

    assert len(rows) == 1
    row = rows[0]
    assert (row["from_round"], row["round"], row["operation"]) == (2 - 1, 2, "carried")
    assert row["n_paired"] == 6
    # 8 - 44/6 = 0.666..., printed to two decimals like every figure.
    assert row["mean_change"] == 0.67
    assert row["pct_changed"] == 50.0


def test_top_choices_count_each_option_chosen_as_equally_recommended(mayo_study):
    development = Round.objects.create(study=mayo_study, number=2, kind=Round.Kind.DEVELOPMENT)
    item = ItemFactory(round=development, code="base:top", type="top_k", max_choices=3,
                       vignette=mayo_study.vignettes.get(code="base"))
    item.options.set(mayo_study.options.all())
    select(development, "base:top", {"P01": ["tms", "sga"], "P02": ["tms"], "P03": ["ketamine", "tms", "sga"]})
    submit(development, panel(mayo_study, 4))
    close(development)

    rows = export_json("mayo-trd", "--table", "top-choices")

    top = [(r["option"], r["count"], r["percent"]) for r in rows[:3]]
    assert top == [("tms", 3, 75.0), ("sga", 2, 50.0), ("ketamine", 1, 25.0)]
    # The always-zero "first choice" column is gone: top choices have no order.
    assert "first_choice" not in rows[0]
    assert {r["n"] for r in rows} == {4}
    assert len(rows) == 11


@pytest.fixture
def two_rounds(mayo_study):
    """Every table has rows: two rated rounds with lineage, top choices and a ranking in the second."""
    first = mayo_study.rounds.get(number=1)
    rate(first, {code: [max(r or 6, 6) - 1 for r in ratings] for code, ratings in MAYO_RATINGS.items()})
    second = carry(close(first))
    rate(second, MAYO_RATINGS)
    for vignette, counts in MAYO_NOT_RECOMMENDED.items():
        not_recommend(second, vignette, counts)
    top = ItemFactory(round=second, code="base:top", type="top_k", max_choices=3,
                      vignette=mayo_study.vignettes.get(code="base"))
    top.options.set(mayo_study.options.all())
    select(second, "base:top", {"P01": ["tms", "sga"], "P02": ["ketamine"]})
    ranking = ItemFactory(round=second, code="base:rank", type="ranking", vignette=top.vignette)
    ranking.options.set(mayo_study.options.filter(code__in=["sga", "tms", "ketamine"]))
    select(second, "base:rank", {"P01": ["tms", "sga", "ketamine"], "P02": ["sga", "tms", "ketamine"]})
    comment(second, "base:comment", {"P01": "ECT first if she is suicidal", "P03": "TMS, given the cost"})
    return close(second)


@pytest.mark.parametrize("table", [*TABLES, *FILE_TABLES, "methods"])
def test_every_table_exports_in_every_format_that_opens(two_rounds, table, tmp_path):
    csv = pd.read_csv(io.StringIO(export("mayo-trd", "--table", table, "--format", "csv")))
    rows = export_json("mayo-trd", "--table", table)
    assert list(csv.columns) == list(rows[0])
    assert len(csv) == len(rows) > 0

    path = tmp_path / f"{table}.xlsx"
    call_command("export_consensus", "mayo-trd", "--table", table, "--format", "xlsx", "--output", str(path))
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[table]
    header = [cell.value for cell in sheet[1]]
    # A person reads the headers in words; the CSV and JSON keep the keys.
    assert header == [words(key) for key in rows[0]]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == len(rows) + 1
    assert "methods" in workbook.sheetnames

    markdown = export("mayo-trd", "--table", table, "--format", "md").splitlines()
    assert markdown[0].startswith("| ") and set(markdown[1]) <= set("|-: ")
    assert len(markdown) == len(rows) + 2

    latex = export("mayo-trd", "--table", table, "--format", "tex")
    assert_is_a_booktabs_longtable(latex, columns=len(header), rows=len(rows))


def test_latex_escapes_what_tex_would_read_as_commands(mayo_study):
    item = mayo_study.rounds.get(number=1).items.get(code="base-main")
    item.text = "50% of #1 & more_than $5 {x}"
    item.save()
    rate(mayo_study.rounds.get(number=1), {"base-main": [9] * 3})
    close(mayo_study.rounds.get(number=1))

    latex = export("mayo-trd", "--table", "recommendations", "--format", "tex")

    assert r"50\% of \#1 \& more\_than \$5 \{x\}" in latex


def test_the_workbook_has_a_methods_sheet_for_the_paper(mayo_round, tmp_path):
    path = tmp_path / "table3.xlsx"
    call_command("export_consensus", "mayo-trd", "--table", "recommendations", "--format", "xlsx", "--output", str(path))

    methods = dict(openpyxl.load_workbook(path)["methods"].iter_rows(min_row=2, values_only=True))

    assert methods["Consensus definition"].startswith("all ratings above 5 and a mean above 7")
    assert "10 of 10 panelists submitted (100%)" in methods["Round 1"]
    assert "7 of 7 statements reached consensus" in methods["Round 1"]
    assert methods["Not-recommended threshold"].startswith("options that at least 50% of the panelists")


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope", "--table", "recommendations"], "no study with slug 'nope'"),
        (["mayo-trd", "--table", "recommendations"], "has no closed round yet"),
        (["mayo-trd", "--round", "7", "--table", "recommendations"], "has no round 7"),
        (["mayo-trd", "--round", "1", "--table", "recommendations"], "round 1 of study mayo-trd is a draft"),
        (["mayo-trd", "--round", "1", "--table", "raw-ratings"], "its results exist only once it has closed"),
        (["mayo-trd", "--table", "recommendations", "--format", "xlsx"], "name a file with --output"),
        (["mayo-trd", "--figure", "heatmap", "--format", "csv"], "a figure is written as png, pdf, svg, not csv"),
        (["mayo-trd", "--table", "items", "--format", "png"], "a table is written as csv, json, xlsx, md, tex, not png"),
        (["mayo-trd", "--report"], "docx is a binary format: name a file with --output"),
        (["mayo-trd", "--table", "items", "--figure", "flow"], "not allowed with argument"),
    ],
)
def test_a_bad_request_fails_with_a_one_line_reason(mayo_study, args, message):
    with pytest.raises(CommandError, match=message) as failure:
        call_command("export_consensus", *args)

    assert "\n" not in str(failure.value)


def test_an_open_round_is_refused_whatever_the_table(mayo_study):
    Round.objects.filter(study=mayo_study, number=1).update(status=Round.Status.OPEN)

    for table in ("recommendations", "not-recommended", "items", "raw-ratings", "raw-not-recommended"):
        with pytest.raises(CommandError, match=r"^round 1 of study mayo-trd is open: its results exist only once"):
            call_command("export_consensus", "mayo-trd", "--round", "1", "--table", table)


def test_the_command_exits_non_zero_with_the_reason_on_stderr(mayo_study, capsys):
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["manage.py", "export_consensus", "mayo-trd", "--table", "recommendations"]).execute()

    assert exit_.value.code != 0
    assert "has no closed round yet" in capsys.readouterr().err


def _queries_for_every_table(round_number: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analysis.selectors import round_for_analysis
    from analysis.catalog import tables_of
    from analysis.tables import RoundData
    from surveys.models import Study

    round_ = round_for_analysis(study=Study.objects.get(slug="mayo-trd"), number=round_number)
    with CaptureQueriesContext(connection) as captured:
        tables_of(RoundData(round_), include_all=True)
    return len(captured)


def test_every_table_takes_the_same_few_queries_for_a_small_and_a_large_panel(mayo_study):
    small = mayo_study.rounds.get(number=1)
    rate(small, {"base-main": [9, 8, 7]})
    not_recommend(small, "base", {"ect": 2})
    large = carry(close(small))
    rate(large, {code: [8] * 40 for code in MAYO_RATINGS})
    for vignette, counts in MAYO_NOT_RECOMMENDED.items():
        not_recommend(large, vignette, counts)
    close(large)

    # Expect 14, for one round or two: the study's rounds, then for every
    # closed round up to the one asked at once: items, item options, the
    # protocol of the figures stored at close, the figures (rating and choice
    # counts, statistics, verdicts, the attrition check), their changes (read
    # apart: analysis.tables.FIGURE_PARTS), and the lineage; vignettes,
    # options, submissions and ranked options; for the flow the invited and
    # joined panelists and the pseudonyms known.
    assert _queries_for_every_table(1) == _queries_for_every_table(2) == 14


def test_the_rankings_table_gives_kendalls_w_and_the_mean_ranks(mayo_study):
    development = Round.objects.create(study=mayo_study, number=2, kind=Round.Kind.DEVELOPMENT)
    item = ItemFactory(round=development, code="base:rank", type="ranking",
                       vignette=mayo_study.vignettes.get(code="base"))
    item.options.set(mayo_study.options.filter(code__in=["sga", "tms", "ketamine"]))
    # Three panelists in perfect agreement: W = 1.
    select(development, "base:rank", {label: ["tms", "sga", "ketamine"] for label in ("P01", "P02", "P03")})
    submit(development, panel(mayo_study, 3))
    close(development)

    (row,) = export_json("mayo-trd", "--table", "rankings")

    assert (row["statement"], row["raters"], row["options"], row["df"]) == ("base:rank", 3, 3, 2)
    assert row["w"] == pytest.approx(1.0)
    assert row["chi2"] == pytest.approx(6.0)
    assert row["mean_ranks"] == ["tms (1.00)", "sga (2.00)", "ketamine (3.00)"]


def test_a_partial_ranking_ties_the_unranked_options_last(mayo_study):
    development = Round.objects.create(study=mayo_study, number=2, kind=Round.Kind.DEVELOPMENT)
    item = ItemFactory(round=development, code="base:rank", type="ranking",
                       vignette=mayo_study.vignettes.get(code="base"))
    item.options.set(mayo_study.options.filter(code__in=["sga", "tms", "ketamine"]))
    select(development, "base:rank", {"P01": ["tms"], "P02": ["sga", "tms", "ketamine"]})
    submit(development, panel(mayo_study, 2))
    close(development)

    (row,) = export_json("mayo-trd", "--table", "rankings")

    # P01: tms 1, sga and ketamine tied at 2.5; P02: sga 1, tms 2, ketamine 3.
    # Rank sums 3, 3.5, 5.5 around a mean of 4: S = 3.5; ties of P01: 2^3 - 2 = 6.
    assert row["w"] == pytest.approx(12 * 3.5 / (2**2 * (3**3 - 3) - 2 * 6))


def test_a_statement_nobody_rated_leaves_empty_cells_in_the_workbook(mayo_study, tmp_path):
    round_ = mayo_study.rounds.get(number=1)
    rate(round_, {"base-main": [9, 9, 9]})
    close(round_)
    path = tmp_path / "items.xlsx"

    call_command("export_consensus", "mayo-trd", "--table", "items", "--format", "xlsx", "--output", str(path))

    rows = list(openpyxl.load_workbook(path)["items"].iter_rows(values_only=True))
    header = rows[0]
    by_code = {row[header.index("Statement")]: dict(zip(header, row)) for row in rows[1:]}
    assert "Mean" in header
    assert by_code["cad-main"]["n"] == 0 and by_code["cad-main"]["Mean"] is None
    assert by_code["base-main"]["Mean"] == 9


def test_the_raw_answers_export_in_spec_4_2_form_under_pseudonyms_only(mayo_round, tmp_path):
    from django.contrib.auth import get_user_model

    from surveys.models import Membership, Participant
    from tests.factories import MembershipFactory

    MembershipFactory(study=mayo_round.study, role=Membership.Role.PANELIST)
    ratings = pd.read_csv(io.StringIO(export("mayo-trd", "--table", "raw-ratings")), dtype={"rating": "Int64"})
    selections = pd.read_csv(io.StringIO(export("mayo-trd", "--table", "raw-not-recommended")))

    assert list(ratings.columns) == ["round", "panelist", "statement", "rating"]
    assert list(selections.columns) == ["round", "panelist", "vignette", "option"]
    assert len(ratings) == 69 and len(selections) == sum(sum(c.values()) for c in MAYO_NOT_RECOMMENDED.values())
    assert set(ratings["panelist"]) <= set(Participant.objects.values_list("label", flat=True))
    mine = ratings[(ratings["panelist"] == "P01") & (ratings["statement"] == "cad-main")]
    assert mine["rating"].tolist() == [9]
    text = export("mayo-trd", "--table", "raw-ratings") + export("mayo-trd", "--table", "raw-not-recommended")
    for user in get_user_model().objects.all():
        assert user.username not in text and (not user.email or user.email not in text)


def test_raw_answers_import_back_into_another_study_unchanged(mayo_round, tmp_path):
    (tmp_path / "ratings.csv").write_text(export("mayo-trd", "--table", "raw-ratings"))
    (tmp_path / "not_recommended.csv").write_text(export("mayo-trd", "--table", "raw-not-recommended"))
    call_command("import_study", str(_copy_of_mayo(tmp_path)))

    call_command("import_responses", "mayo-copy", "--ratings", str(tmp_path / "ratings.csv"),
                 "--not-recommended", str(tmp_path / "not_recommended.csv"))

    original = export_json("mayo-trd", "--table", "not-recommended")
    copied = export_json("mayo-copy", "--table", "not-recommended")
    assert copied == original
    assert export_json("mayo-copy", "--table", "recommendations") == export_json("mayo-trd", "--table", "recommendations")


def _copy_of_mayo(tmp_path):
    from tests.conftest import MAYO_FILE

    path = tmp_path / "copy.yaml"
    path.write_text(MAYO_FILE.read_text().replace("slug: mayo-trd", "slug: mayo-copy"))
    return path


@pytest.mark.parametrize(
    "percentiles, words",
    [("linear", "linear interpolation (Hyndman-Fan type 7"), ("spss", "SPSS's definition (Hyndman-Fan type 6)")],
)
def test_the_methods_summary_names_the_rand_ucla_percentile_definition(mayo_study, percentiles, words):
    mayo_study.consensus_rule = "rand_ucla"
    mayo_study.consensus_params = {"method": "ipras", "percentiles": percentiles}
    mayo_study.save()

    rows = {row["item"]: row["value"] for row in json.loads(export("mayo-trd", "--table", "methods", "--format", "json"))}

    assert f"percentiles by {words}" in rows["Consensus definition"]
    assert f"the RAND/UCLA P30 and P70 by {words}" in rows["Statistics"]
