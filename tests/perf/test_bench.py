"""`make bench` at a tiny size, so that its generator and reference cannot rot unnoticed."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from tests.perf.synthetic import BenchSize, generate, reference_tables
from surveys.models import Answer, AnswerOption, Round, Submission

pytestmark = pytest.mark.django_db

TINY = BenchSize(panelists=5, vignettes=3, statements_per_vignette=2, options=4, rounds=3)


def exported(table: str, round_number: int) -> list[dict]:
    out = StringIO()
    call_command(
        "export_consensus", "bench", "--round", str(round_number), "--table", table, "--format", "json", stdout=out
    )
    return json.loads(out.getvalue())


def test_the_generated_study_imports_whole_and_pandas_agrees_with_the_export(tmp_path):
    files = generate(tmp_path, TINY)
    call_command("import_study", str(files.study), stdout=StringIO())

    call_command(
        "import_responses",
        files.slug,
        "--ratings",
        str(files.ratings),
        "--not-recommended",
        str(files.not_recommended),
        stdout=StringIO(),
    )

    assert Round.objects.filter(status=Round.Status.CLOSED).count() == TINY.rounds
    assert Answer.objects.filter(item__type="likert").count() == files.rating_rows == 5 * 6 * 3
    assert AnswerOption.objects.count() == files.selection_rows
    assert Submission.objects.count() == TINY.panelists * TINY.rounds
    recommendations, not_recommended = reference_tables(
        study=files.study, ratings=files.ratings, not_recommended=files.not_recommended, round_number=TINY.rounds
    )
    assert len(recommendations) and len(not_recommended), "the tiny panel should list rows in both tables"
    columns = ["statement", "n", "min", "mean", "median", "all_above_neutral", "consensus"]
    assert [{c: row[c] for c in columns} for row in exported("recommendations", TINY.rounds)] == recommendations[
        columns
    ].to_dict("records")
    columns = ["vignette", "option", "count", "n", "percent"]
    assert [{c: row[c] for c in columns} for row in exported("not-recommended", TINY.rounds)] == not_recommended[
        columns
    ].to_dict("records")


def test_the_reference_leaves_blanks_out_and_lists_the_threshold_itself(tmp_path):
    files = generate(tmp_path, TINY)
    (tmp_path / "ratings.csv").write_text(
        "round,panelist,statement,rating\n"
        "1,P01,v01-s01,9\n1,P02,v01-s01,8\n1,P03,v01-s01,\n1,P04,v01-s01,7\n"
        "1,P01,v01-s02,9\n1,P02,v01-s02,9\n1,P03,v01-s02,5\n1,P04,v01-s02,9\n"
    )
    (tmp_path / "not_recommended.csv").write_text(
        "round,panelist,vignette,option\n1,P01,v01,o01\n1,P02,v01,o01\n1,P01,v01,o02\n"
    )

    recommendations, not_recommended = reference_tables(
        study=files.study, ratings=files.ratings, not_recommended=files.not_recommended, round_number=1
    )

    # v01-s02 has a 5, not above neutral; v01-s01 has mean 8 over 3 ratings, the blank left out.
    assert recommendations[["statement", "n", "mean"]].to_dict("records") == [
        {"statement": "v01-s01", "n": 3, "mean": 8.0}
    ]
    # Two of the four who submitted: exactly 50%, listed; one of four is not.
    assert not_recommended[["option", "count", "n", "percent"]].to_dict("records") == [
        {"option": "o01", "count": 2, "n": 4, "percent": 50.0}
    ]


def test_the_timed_export_writes_the_same_files_as_the_command(tmp_path, capsys):
    from tests.perf.export_work import main as timed_export

    files = generate(tmp_path, TINY)
    call_command("import_study", str(files.study), stdout=StringIO())
    call_command("import_responses", files.slug, "--ratings", str(files.ratings),
                 "--not-recommended", str(files.not_recommended), stdout=StringIO())

    timed_export([files.slug, str(TINY.rounds), str(tmp_path)])

    assert json.loads(capsys.readouterr().out)["seconds"] > 0
    for table in ("recommendations", "not-recommended"):
        command = tmp_path / f"command-{table}.csv"
        call_command("export_consensus", files.slug, "--round", str(TINY.rounds), "--table", table,
                     "--output", str(command))
        assert (tmp_path / f"export-{table}.csv").read_bytes() == command.read_bytes()


@pytest.mark.parametrize("page", ["results", "raw-ratings.csv", "raw-ratings.xlsx", "workbook.xlsx",
                                  "round-comparison.csv", "next-round"])
def test_the_page_timer_serves_each_page_of_the_bench_round_whole(tmp_path, page):
    from tests.perf.pages import Command

    files = generate(tmp_path, TINY)
    call_command("import_study", str(files.study), stdout=StringIO())
    call_command("import_responses", files.slug, "--ratings", str(files.ratings),
                 "--not-recommended", str(files.not_recommended), stdout=StringIO())
    out = StringIO()

    call_command(Command(), files.slug, str(TINY.rounds), page, stdout=out)

    figures = json.loads(out.getvalue())
    assert figures["status"] == 200 and figures["bytes"] > 0 and figures["seconds"] > 0
    assert figures["streamed"] == (page == "raw-ratings.csv")
    if page == "raw-ratings.csv":
        # Its header and the round's 30 rows, each at least "3,P01,v01-s01,\n" long: read to the end.
        assert figures["bytes"] >= len("round,panelist,statement,rating\n") + 30 * len("3,P01,v01-s01,\n")
