"""Response files (SPEC 4.2) through the `import_responses` command."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from analysis.management.commands.import_responses import Command as ImportResponses
from surveys.models import Answer, AnswerOption, Item, ItemLink, ItemOption, Participant, Round, Submission

pytestmark = pytest.mark.django_db

RATINGS_HEADER = "round,panelist,statement,rating\n"
SELECTIONS_HEADER = "round,panelist,vignette,option\n"


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def import_responses(*args: str) -> str:
    out = StringIO()
    call_command("import_responses", "mayo-trd", *args, stdout=out)
    return out.getvalue()


def import_errors(*args: str) -> list[str]:
    """The lines of the error report on stderr, checked against the one-line reason."""
    err = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_responses", "mayo-trd", *args, stderr=err)
    lines = err.getvalue().splitlines()
    assert str(excinfo.value) == f"nothing imported: {len(lines)} problem(s) found, listed above"
    return lines


def row_counts() -> dict:
    models = (Round, Item, ItemOption, ItemLink, Participant, Submission, Answer, AnswerOption)
    return {model.__name__: model.objects.count() for model in models}


def ratings_of(round_number: int, statement: str) -> dict:
    return dict(
        Answer.objects.filter(item__round__number=round_number, item__code=statement).values_list(
            "participant__label", "rating"
        )
    )


class TestTheLongFormat:
    def test_it_imports_ratings_and_selections_with_their_panelists(self, mayo_study, tmp_path):
        ratings = write(
            tmp_path, "ratings.csv", RATINGS_HEADER + "1,P01,base-main,8\n1,P02,base-main,9\n1,P01,cad-main,6\n"
        )
        selections = write(tmp_path, "nr.csv", SELECTIONS_HEADER + "1,P01,cad,tca\n1,P01,cad,maoi\n1,P02,base,ect\n")

        out = import_responses("--ratings", ratings, "--not-recommended", selections)

        assert "3 ratings, 0 blank, 3 not-recommended selections, 2 submissions (2 new panelists)" in out
        assert ratings_of(1, "base-main") == {"P01": 8, "P02": 9}
        assert ratings_of(1, "cad-main") == {"P01": 6}
        chosen = AnswerOption.objects.filter(answer__item__code="cad:not-recommended", answer__participant__label="P01")
        assert sorted(chosen.values_list("option__code", flat=True)) == ["maoi", "tca"]
        # One answer per panelist and vignette, however many options they chose.
        assert Answer.objects.filter(item__type=Item.Type.NOT_RECOMMENDED).count() == 2
        assert list(Participant.objects.values_list("label", "link_hash")) == [("P01", None), ("P02", None)]

    def test_a_blank_rating_is_no_rating_but_the_panelist_still_submitted(self, mayo_study, tmp_path):
        ratings = write(tmp_path, "ratings.csv", RATINGS_HEADER + "1,P01,base-main,8\n1,P02,base-main,\n")

        out = import_responses("--ratings", ratings)

        assert "1 ratings, 1 blank" in out
        assert ratings_of(1, "base-main") == {"P01": 8, "P02": None}
        assert set(Submission.objects.values_list("participant__label", flat=True)) == {"P01", "P02"}

    def test_a_blank_leaves_the_statement_n_but_not_the_round_panel(self, mayo_study, tmp_path):
        # The paper's mean 8.44 for the base vignette is 76/9: ten panelists, one blank.
        values = [9, 9, 9, 8, 8, 8, 9, 8, 8, ""]
        rows = "".join(
            f"{n},P{i:02d},base-main,{v}\n" for n in (1, 2, 3) for i, v in enumerate(values, start=1)
        )
        # Chosen by 5 of the 10: the 50% edge is listed.
        chosen = "".join(f"3,P{i:02d},base,tca\n" for i in range(1, 6))
        ratings = write(tmp_path, "ratings.csv", RATINGS_HEADER + rows)
        selections = write(tmp_path, "nr.csv", SELECTIONS_HEADER + chosen)
        import_responses("--ratings", ratings, "--not-recommended", selections)

        out = StringIO()
        call_command("export_consensus", "mayo-trd", "--table", "recommendations", "--format", "json", stdout=out)
        (base,) = [row for row in json.loads(out.getvalue()) if row["statement"] == "base-main"]
        assert (base["n"], base["mean"], base["consensus"]) == (9, 8.44, True)
        out = StringIO()
        call_command("export_consensus", "mayo-trd", "--table", "not-recommended", "--format", "json", stdout=out)
        (tca,) = [row for row in json.loads(out.getvalue()) if (row["vignette"], row["option"]) == ("base", "tca")]
        assert (tca["count"], tca["n"], tca["percent"]) == (5, 10, 50)

    def test_it_leaves_the_imported_draft_round_closed(self, mayo_study, tmp_path):
        ratings = write(tmp_path, "ratings.csv", RATINGS_HEADER + "1,P01,base-main,8\n")

        out = import_responses("--ratings", ratings)

        round_1 = mayo_study.rounds.get(number=1)
        assert (round_1.status, round_1.closed_at is not None) == (Round.Status.CLOSED, True)
        assert "closed round(s) 1" in out

    def test_it_creates_missing_rounds_closed_as_copies_of_the_round_before(self, mayo_study, tmp_path):
        ratings = write(tmp_path, "ratings.csv", RATINGS_HEADER + "2,P01,base-main,7\n3,P01,base-main,8\n")
        selections = write(tmp_path, "nr.csv", SELECTIONS_HEADER + "3,P02,sud,ect\n")

        out = import_responses("--ratings", ratings, "--not-recommended", selections)

        assert "created round(s) 2, 3" in out
        round_1, round_2, round_3 = mayo_study.rounds.order_by("number")
        for round_ in (round_2, round_3):
            assert (round_.status, round_.kind) == (Round.Status.CLOSED, round_1.kind)
            assert round_.closed_at is not None
            assert list(round_.items.values_list("code", "type")) == list(round_1.items.values_list("code", "type"))
        # Each item of round 3 carries forward its twin of round 2, with the same options.
        for item in round_3.items.all():
            (link,) = item.parent_links.all()
            assert (link.operation, link.parent.round_id, link.parent.code) == ("carried", round_2.pk, item.code)
            assert list(item.item_options.values_list("option__code", flat=True)) == list(
                link.parent.item_options.values_list("option__code", flat=True)
            )
        assert ratings_of(2, "base-main") == {"P01": 7}
        assert ratings_of(3, "base-main") == {"P01": 8}
        answer = Answer.objects.get(item__round=round_3, item__code="sud:not-recommended")
        assert answer.chosen.get().option.code == "ect"
        # Round 1 was not in the files: still the draft the study file made.
        round_1.refresh_from_db()
        assert round_1.status == Round.Status.DRAFT

    def test_a_panelist_only_in_the_not_recommended_file_submitted_the_round(self, mayo_study, tmp_path):
        ratings = write(tmp_path, "ratings.csv", RATINGS_HEADER + "1,P01,base-main,8\n")
        selections = write(tmp_path, "nr.csv", SELECTIONS_HEADER + "1,P02,base,tca\n")

        import_responses("--ratings", ratings, "--not-recommended", selections)

        submitted = Submission.objects.filter(round__number=1).values_list("participant__label", flat=True)
        assert sorted(submitted) == ["P01", "P02"]

    def test_it_reads_utf8_with_a_byte_order_mark_and_spaces_around_values(self, mayo_study, tmp_path):
        path = tmp_path / "ratings.csv"
        path.write_bytes("\ufeffround, panelist ,statement,rating\n1, P01 ,base-main, 7\n".encode())

        import_responses("--ratings", str(path))

        assert ratings_of(1, "base-main") == {"P01": 7}

    def test_a_label_that_looks_like_a_number_keeps_its_zeros(self, mayo_study, tmp_path):
        ratings = write(tmp_path, "ratings.csv", RATINGS_HEADER + "1,007,base-main,7\n1,7,base-main,8\n")

        import_responses("--ratings", ratings)

        assert ratings_of(1, "base-main") == {"007": 7, "7": 8}


class TestTheWideFormat:
    def test_it_reads_one_row_per_panelist_with_the_round_given_as_an_option(self, mayo_study, tmp_path):
        ratings = write(tmp_path, "wide.csv", "panelist,base-main,cad-main\nP01,8,7\nP02,,9\n")

        out = import_responses("--ratings", ratings, "--round", "1")

        assert "3 ratings, 1 blank" in out
        assert ratings_of(1, "base-main") == {"P01": 8, "P02": None}
        assert ratings_of(1, "cad-main") == {"P01": 7, "P02": 9}

    def test_it_reads_a_round_column(self, mayo_study, tmp_path):
        ratings = write(tmp_path, "wide.csv", "round,panelist,base-main\n1,P01,8\n2,P01,9\n")

        import_responses("--ratings", ratings)

        assert (ratings_of(1, "base-main"), ratings_of(2, "base-main")) == ({"P01": 8}, {"P01": 9})

    def test_it_reports_bad_cells_by_line_and_an_unknown_column_once(self, mayo_study, tmp_path):
        before = row_counts()
        ratings = write(
            tmp_path, "wide.csv", "panelist,base-main,cad-main,typo-main\nP01,8,10,\nP02,x,7,\nP01,9,9,\n"
        )

        errors = import_errors("--ratings", ratings, "--round", "1")

        assert errors == [
            f"{ratings}: line 1: unknown statement 'typo-main' in round 1",
            f"{ratings}: line 2: rating 10 for 'cad-main' is outside the scale 1-9",
            f"{ratings}: line 3: rating 'x' for 'base-main' is not a whole number",
            f"{ratings}: line 4: duplicate row: panelist 'P01' already has a row for round 1 on line 2",
        ]
        assert row_counts() == before

    def test_it_needs_the_round_once(self, mayo_study, tmp_path):
        without = write(tmp_path, "without.csv", "panelist,base-main\nP01,8\n")
        both = write(tmp_path, "both.csv", "round,panelist,base-main\n1,P01,8\n")

        assert import_errors("--ratings", without) == [
            f"{without}: line 1: a wide file needs a round column, or the round given with --round"
        ]
        assert import_errors("--ratings", both, "--round", "1") == [
            f"{both}: line 1: give the round of a wide file either as a round column or with --round, not both"
        ]


class TestBadFiles:
    def test_every_bad_row_is_reported_by_line_and_nothing_is_imported(self, mayo_study, tmp_path):
        before = row_counts()
        ratings = write(
            tmp_path,
            "ratings.csv",
            RATINGS_HEADER
            + "1,P01,base-main,8\n"  # 2: fine
            + "1,P01,nope-main,8\n"  # 3
            + "1,P02,base-main,10\n"  # 4
            + "1,P03,base-main,5.5\n"  # 5
            + "one,P04,base-main,5\n"  # 6
            + "\n"  # 7: a blank line is skipped, not counted as a row
            + "1,P05,base-main,5,6\n"  # 8
            + "1,,base-main,5\n"  # 9
            + "1,P01,base-main,7\n"  # 10
            + "1,P06,base:not-recommended,7\n",  # 11
        )
        selections = write(
            tmp_path,
            "nr.csv",
            SELECTIONS_HEADER
            + "1,P01,base,tca\n"  # 2: fine
            + "1,P01,base,tca\n"  # 3
            + "1,P01,nowhere,tca\n"  # 4
            + "1,P01,base,homeopathy\n",  # 5
        )

        errors = import_errors("--ratings", ratings, "--not-recommended", selections)

        assert errors == [
            f"{ratings}: line 3: unknown statement 'nope-main' in round 1",
            f"{ratings}: line 4: rating 10 for 'base-main' is outside the scale 1-9",
            f"{ratings}: line 5: rating '5.5' for 'base-main' is not a whole number",
            f"{ratings}: line 6: round 'one' is not a round number (1, 2, ...)",
            f"{ratings}: line 8: expected 4 fields, saw 5",
            f"{ratings}: line 9: the panelist is empty",
            f"{ratings}: line 10: duplicate answer: panelist 'P01' already rated 'base-main' in round 1 on line 2",
            f"{ratings}: line 11: unknown statement 'base:not-recommended' in round 1",
            f"{selections}: line 3: duplicate selection: panelist 'P01' already chose 'tca' for vignette 'base' "
            "in round 1 on line 2",
            f"{selections}: line 4: unknown vignette 'nowhere'",
            f"{selections}: line 5: unknown option 'homeopathy'",
        ]
        assert row_counts() == before
        assert mayo_study.rounds.get().status == Round.Status.DRAFT

    def test_missing_and_extra_columns_are_reported_on_line_1(self, mayo_study, tmp_path):
        ratings = write(tmp_path, "ratings.csv", "round,panelist,statement,score\n1,P01,base-main,8\n")
        selections = write(tmp_path, "nr.csv", "round,panelist,option\n1,P01,tca\n")

        assert import_errors("--ratings", ratings, "--not-recommended", selections) == [
            f"{ratings}: line 1: missing column(s): rating (expected round,panelist,statement,rating)",
            f"{ratings}: line 1: unexpected column(s): score (expected round,panelist,statement,rating)",
            f"{selections}: line 1: missing column(s): vignette (expected round,panelist,vignette,option)",
        ]

    def test_an_empty_or_missing_file_is_reported(self, mayo_study, tmp_path):
        empty = write(tmp_path, "empty.csv", "")
        missing = str(tmp_path / "missing.csv")

        assert import_errors("--ratings", empty, "--not-recommended", missing) == [
            f"{empty}: line 1: the file is empty; a header row is required",
            f"{missing}: line 1: the file does not exist",
        ]

    def test_importing_the_same_answers_twice_is_refused(self, mayo_study, tmp_path):
        ratings = write(tmp_path, "ratings.csv", RATINGS_HEADER + "1,P01,base-main,8\n")
        selections = write(tmp_path, "nr.csv", SELECTIONS_HEADER + "1,P01,base,tca\n")
        import_responses("--ratings", ratings, "--not-recommended", selections)
        before = row_counts()

        errors = import_errors("--ratings", ratings, "--not-recommended", selections)

        reason = "panelist 'P01' has already submitted round 1; their answers are in the database"
        assert errors == [f"{ratings}: line 2: {reason}", f"{selections}: line 2: {reason}"]
        assert row_counts() == before

    def test_an_answer_already_in_the_database_is_refused_even_without_a_submission(self, mayo_study, tmp_path):
        # A draft answer from the voting page: the panelist has not submitted.
        participant = Participant.objects.create(study=mayo_study, label="P01")
        Answer.objects.create(
            participant=participant, item=Item.objects.get(code="base-main"), rating=3, scale_min=1, scale_max=9
        )
        ratings = write(tmp_path, "ratings.csv", RATINGS_HEADER + "1,P01,base-main,8\n1,P01,cad-main,8\n")

        errors = import_errors("--ratings", ratings)

        assert errors == [
            f"{ratings}: line 2: the rating of 'base-main' of panelist 'P01' in round 1 is already in the database"
        ]

    def test_a_round_that_would_leave_a_gap_is_refused(self, mayo_study, tmp_path):
        ratings = write(tmp_path, "ratings.csv", RATINGS_HEADER + "3,P01,base-main,8\n")

        assert import_errors("--ratings", ratings) == [
            f"{ratings}: line 2: round 3 is not in the study, and neither is round 2 "
            "that it would copy its questions from"
        ]
        assert mayo_study.rounds.count() == 1

    def test_an_open_round_is_refused(self, mayo_study, tmp_path):
        mayo_study.rounds.update(status=Round.Status.OPEN)
        ratings = write(tmp_path, "ratings.csv", RATINGS_HEADER + "1,P01,base-main,8\n2,P01,base-main,8\n")

        assert import_errors("--ratings", ratings) == [
            f"{ratings}: line 2: round 1 is open; close it before importing answers into it",
            f"{ratings}: line 3: round 2 is not in the study, and round 1, which it would copy, cannot be imported",
        ]

    def test_an_unknown_study_is_refused(self, db, tmp_path):
        ratings = write(tmp_path, "ratings.csv", RATINGS_HEADER)

        with pytest.raises(CommandError, match="no study with the slug 'nowhere'"):
            call_command("import_responses", "nowhere", "--ratings", ratings)

    def test_the_command_exits_non_zero_with_the_report_on_stderr(self, mayo_study, tmp_path, capsys, monkeypatch):
        ratings = write(tmp_path, "ratings.csv", RATINGS_HEADER + "1,P01,base-main,0\n")
        # run_from_argv closes every connection when it ends, which would take
        # the test's transaction with it.
        monkeypatch.setattr(connections, "close_all", lambda: None)

        with pytest.raises(SystemExit) as excinfo:
            ImportResponses().run_from_argv(["manage.py", "import_responses", "mayo-trd", "--ratings", ratings])

        assert excinfo.value.code != 0
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == (
            f"{ratings}: line 2: rating 0 for 'base-main' is outside the scale 1-9\n"
            "CommandError: nothing imported: 1 problem(s) found, listed above\n"
        )
        assert Answer.objects.count() == 0
