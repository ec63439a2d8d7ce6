"""Microsoft Forms and REDCap exports through `import_responses --from`, with a YAML mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from surveys.models import Answer, AnswerOption, Participant, Submission
from tests.analysis.foreign import files
from tests.analysis.foreign.files import PANEL, STATEMENTS, VIGNETTES
# The SPEC 4.2 import's own helpers: its output, and its refusal with every problem on stderr.
from tests.analysis.management.test_import_responses import import_errors as refused
from tests.analysis.management.test_import_responses import import_responses as command

pytestmark = pytest.mark.django_db


def msforms_mapping(**changes) -> dict:
    texts = files.statement_texts()
    mapping = {
        "tool": "msforms",
        "round": 1,
        "respondent": "email",
        "columns": {texts[code]: code for code in STATEMENTS}
        | {files.nr_question(v): {"not_recommended": v} for v in VIGNETTES},
        "labels": {"Strongly agree": 8},
    }
    return mapping | changes


def redcap_mapping(**changes) -> dict:
    mapping = {
        "tool": "redcap",
        "events": {"round_1_arm_1": 1, "round_2_arm_1": 2},
        "respondent": "record",
        "columns": {files.field_name(c): c for c in STATEMENTS} | {f"nr_{v}": {"not_recommended": v} for v in VIGNETTES}
        | {"email": "ignore"},
    }
    return mapping | changes


def write_yaml(path: Path, mapping: dict) -> str:
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    return str(path)


def ratings(number: int = 1) -> dict[str, list]:
    """Each statement's ratings in a round, sorted, blanks as None last."""
    found = {}
    for code in STATEMENTS:
        values = Answer.objects.filter(item__round__number=number, item__code=code).values_list("rating", flat=True)
        found[code] = sorted(values, key=lambda v: (v is None, v or 0))
    return found


def expected_ratings() -> dict[str, list]:
    return {code: sorted((p["ratings"][code] for p in PANEL), key=lambda v: (v is None, v or 0)) for code in STATEMENTS}


def selections() -> dict[str, list]:
    chosen = AnswerOption.objects.filter(answer__item__round__number=1).values_list(
        "answer__item__vignette__code", "option__code"
    )
    found = {v: [] for v in VIGNETTES}
    for vignette, option in chosen:
        found[vignette].append(option)
    return {v: sorted(options) for v, options in found.items()}


def expected_selections() -> dict[str, list]:
    return {v: sorted(o for p in PANEL for o in p["nr"][v]) for v in VIGNETTES}


class TestMicrosoftForms:
    def test_an_english_xlsx_imports_labels_and_multi_selects(self, mayo_study, tmp_path):
        export = files.write_xlsx(tmp_path / "Delphi round 1(1-5).xlsx", files.msforms_rows(quiz=True))
        mapping = write_yaml(tmp_path / "map.yaml", msforms_mapping())

        out = command("--from", "msforms", str(export), "--mapping", mapping)

        assert "14 ratings, 1 blank, 10 not-recommended selections, 5 submissions (5 new panelists)" in out
        assert ratings() == expected_ratings()
        assert selections() == expected_selections()

    def test_a_japanese_csv_with_id_headers_imports_the_same(self, mayo_study, tmp_path):
        export = files.write_csv(tmp_path / "round1.csv", files.msforms_rows(fixed=files.JAPANESE))
        mapping = write_yaml(tmp_path / "map.yaml", msforms_mapping())

        command("--from", "msforms", str(export), "--mapping", mapping)

        assert ratings() == expected_ratings()
        assert selections() == expected_selections()

    def test_anonymous_rows_become_one_round_pseudonyms(self, mayo_study, tmp_path):
        export = files.write_xlsx(tmp_path / "anon.xlsx", files.msforms_rows(anonymous=True))
        mapping = write_yaml(tmp_path / "map.yaml", msforms_mapping())

        command("--from", "msforms", str(export), "--mapping", mapping)

        assert Participant.objects.count() == 5
        assert Submission.objects.count() == 5

    def test_the_same_email_gives_the_same_pseudonym_in_the_next_round(self, mayo_study, tmp_path):
        mapping = msforms_mapping()
        export = files.write_xlsx(tmp_path / "r1.xlsx", files.msforms_rows())
        command("--from", "msforms", str(export), "--mapping", write_yaml(tmp_path / "r1.yaml", mapping))
        first = set(Participant.objects.values_list("label", flat=True))

        # Round 2 asks the same questions; the mapping of round 1 serves with its round changed.
        export = files.write_xlsx(tmp_path / "r2.xlsx", files.msforms_rows(panel=PANEL[:3]))
        out = command("--from", "msforms", str(export), "--mapping", write_yaml(tmp_path / "r2.yaml", mapping | {"round": 2}))

        assert "created round(s) 2" in out
        assert set(Participant.objects.values_list("label", flat=True)) == first
        assert Submission.objects.filter(round__number=2).count() == 3

    def test_a_proposed_mapping_matches_the_statements_and_imports_once_labels_are_given(self, mayo_study, tmp_path):
        export = files.write_xlsx(tmp_path / "round1.xlsx", files.msforms_rows())

        proposed = yaml.safe_load(command("--from", "msforms", str(export), "--propose-mapping"))

        texts = files.statement_texts()
        assert {texts[code]: code for code in STATEMENTS}.items() <= proposed["columns"].items()
        assert proposed["respondent"] == "email"
        assert proposed["round"] == 1
        assert proposed["labels"] == {"Strongly agree": None}
        # Every vignette's not-recommended question reads the same: the one whose title the question names.
        assert proposed["columns"] == msforms_mapping()["columns"]
        proposed["labels"] = {"Strongly agree": 8}
        command("--from", "msforms", str(export), "--mapping", write_yaml(tmp_path / "map.yaml", proposed))
        assert ratings() == expected_ratings()


class TestRedcap:
    @pytest.mark.parametrize("annotation", [True, False], ids=["dictionary", "older dictionary"])
    def test_a_longitudinal_raw_export_imports_its_events_as_rounds(self, mayo_study, tmp_path, annotation):
        export = files.write_csv(tmp_path / "raw.csv", files.redcap_raw(), "utf-8")
        dictionary = files.write_csv(tmp_path / "dict.csv", files.redcap_dictionary(annotation=annotation), "utf-8")
        mapping = write_yaml(tmp_path / "map.yaml", redcap_mapping())

        out = command("--from", "redcap", str(export), "--dictionary", str(dictionary), "--mapping", mapping)

        assert "round(s) 1, 2" in out and "(5 new panelists); created round(s) 2" in out
        assert ratings(1) == expected_ratings()
        assert selections() == expected_selections()
        assert ratings(2)["cad-main"] == [7, 8, 8, 9]
        assert Submission.objects.filter(round__number=2).count() == 4

    def test_a_labels_export_imports_the_same_with_the_same_mapping(self, mayo_study, tmp_path):
        export = files.write_csv(tmp_path / "labels.csv", files.redcap_labels(), "utf-8")
        dictionary = files.write_csv(tmp_path / "dict.csv", files.redcap_dictionary(), "utf-8")
        events = {"Round 1 (Arm 1: Arm 1)": 1, "Round 2 (Arm 1: Arm 1)": 2}
        mapping = write_yaml(tmp_path / "map.yaml", redcap_mapping(events=events))

        command("--from", "redcap", str(export), "--dictionary", str(dictionary), "--mapping", mapping)

        assert ratings(1) == expected_ratings()
        assert selections() == expected_selections()
        assert ratings(2)["sud-main"] == [7, 8, 8, 9]

    def test_a_proposed_mapping_maps_fields_events_and_checkboxes(self, mayo_study, tmp_path):
        export = files.write_csv(tmp_path / "raw.csv", files.redcap_raw(), "utf-8")
        dictionary = files.write_csv(tmp_path / "dict.csv", files.redcap_dictionary(), "utf-8")

        proposed = yaml.safe_load(
            command("--from", "redcap", str(export), "--dictionary", str(dictionary), "--propose-mapping")
        )

        assert proposed["events"] == {"round_1_arm_1": 1, "round_2_arm_1": 2}
        assert proposed["respondent"] == "record"
        assert {files.field_name(c): c for c in STATEMENTS}.items() <= proposed["columns"].items()
        assert proposed["columns"] == redcap_mapping()["columns"]
