"""The same answers give the same Table 3 and Table 4 from Microsoft Forms, REDCap, SPEC 4.2 files or the ballot box."""

from __future__ import annotations

import json
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from surveys.ballot import AnswerInput
from surveys.models import Ballot, Membership, Study
from surveys.services.rounds import round_open
from tests.analysis.foreign import files
from tests.analysis.foreign.test_import_command import command, msforms_mapping, redcap_mapping, write_yaml
from tests.conftest import MAYO_FILE
from tests.factories import MembershipFactory, UserFactory, ballot_for, count

pytestmark = pytest.mark.django_db


@pytest.fixture
def twin_study(mayo_study, tmp_path):
    """The Mayo study again under another slug, to take the same answers as SPEC 4.2 files."""
    data = yaml.safe_load(MAYO_FILE.read_text(encoding="utf-8"))
    data["slug"] = "mayo-csv"
    path = tmp_path / "twin.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    call_command("import_study", str(path), stdout=StringIO())
    return "mayo-csv"


def tables(slug: str, number: int) -> dict:
    found = {}
    for table in ("recommendations", "not-recommended"):
        out = StringIO()
        call_command("export_consensus", slug, "--round", str(number), "--table", table, "--all", "--format", "json", stdout=out)
        found[table] = json.loads(out.getvalue())
    return found


def spec_import(slug: str, tmp_path, *, longitudinal=False) -> None:
    ratings, selections = files.spec_files(tmp_path, longitudinal=longitudinal)
    call_command("import_responses", slug, "--ratings", str(ratings), "--not-recommended", str(selections), stdout=StringIO())


def test_a_msforms_export_gives_the_tables_of_the_same_answers_as_spec_files(twin_study, tmp_path):
    export = files.write_xlsx(tmp_path / "r1.xlsx", files.msforms_rows(fixed=files.JAPANESE))
    command("--from", "msforms", str(export), "--mapping", write_yaml(tmp_path / "m.yaml", msforms_mapping()))
    spec_import(twin_study, tmp_path)

    imported, expected = tables("mayo-trd", 1), tables(twin_study, 1)

    assert imported == expected
    # Not vacuous: the statements were rated and options chosen.
    assert {row["statement"]: row["n"] for row in imported["recommendations"]}["base-main"] == 5
    assert {(row["vignette"], row["option"]): row["count"] for row in imported["not-recommended"]}[("base", "maoi")] == 3


@pytest.mark.parametrize("shape", ["raw", "labels"])
def test_a_redcap_export_gives_the_tables_of_the_same_answers_as_spec_files_in_every_round(twin_study, tmp_path, shape):
    rows = files.redcap_raw() if shape == "raw" else files.redcap_labels()
    export = files.write_csv(tmp_path / "export.csv", rows, "utf-8")
    dictionary = files.write_csv(tmp_path / "dict.csv", files.redcap_dictionary(), "utf-8")
    events = {"round_1_arm_1": 1, "round_2_arm_1": 2} if shape == "raw" else {
        "Round 1 (Arm 1: Arm 1)": 1, "Round 2 (Arm 1: Arm 1)": 2}
    mapping = write_yaml(tmp_path / "m.yaml", redcap_mapping(events=events))
    command("--from", "redcap", str(export), "--dictionary", str(dictionary), "--mapping", mapping)
    spec_import(twin_study, tmp_path, longitudinal=True)

    for number in (1, 2):
        assert tables("mayo-trd", number) == tables(twin_study, number)
    second = {row["statement"]: row for row in tables("mayo-trd", 2)["recommendations"]}
    assert (second["cad-main"]["n"], second["cad-main"]["mean"]) == (4, 8)


def vote_through_the_ballot_box(slug: str) -> None:
    """The panel's answers as ballots, submitted through the voting service and counted at close, as on the voting pages."""
    study = Study.objects.get(slug=slug)
    first = study.rounds.get(number=1)
    round_open(round=first)
    items = {item.code: item for item in first.items.prefetch_related("item_options__option")}
    for number, person in enumerate(files.PANEL, start=1):
        user = UserFactory(username=f"voter-{number}")
        MembershipFactory(study=study, user=user, role=Membership.Role.PANELIST)
        answers = [AnswerInput(item_id=items[code].pk, rating=person["ratings"][code]) for code in files.STATEMENTS]
        for vignette, chosen in person["nr"].items():
            item = items[f"{vignette}:not-recommended"]
            ids = {link.option.code: link.option_id for link in item.item_options.all()}
            answers.append(AnswerInput(item_id=item.pk, options=tuple((ids[code], None) for code in chosen)))
        ballot_for(first, user, Ballot.Status.SUBMITTED, answers)
    count(first)


def test_a_msforms_export_gives_the_tables_of_the_same_answers_voted_on_the_platform(twin_study, tmp_path):
    export = files.write_xlsx(tmp_path / "r1.xlsx", files.msforms_rows(quiz=True))
    command("--from", "msforms", str(export), "--mapping", write_yaml(tmp_path / "m.yaml", msforms_mapping()))
    vote_through_the_ballot_box(twin_study)

    imported, voted = tables("mayo-trd", 1), tables(twin_study, 1)

    assert imported == voted
    assert {row["statement"]: row["n"] for row in voted["recommendations"]}["sud-main"] == 4
