"""An analyst imports a Microsoft Forms export and a REDCap export through the import page, in a real browser.

The screenshots go to docs/img/, where docs/importing.md shows them.
"""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import yaml
from django.core.management import call_command
from playwright.sync_api import expect

from surveys.models import Membership, Study, Submission
from tests.analysis.foreign import files
from tests.analysis.foreign.files import IDENTITIES
from tests.analysis.foreign.test_import_command import msforms_mapping, redcap_mapping
from tests.browser.pages import DESKTOP, accessibility_violations, horizontal_overflow, sign_in
from tests.conftest import MAYO_FILE
from tests.factories import MembershipFactory, UserFactory

SMALLEST = {"width": 320, "height": 640}
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def capture(page, name: str, *, full_page: bool = True) -> None:
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_IMG / f"importing-{name}.png"), full_page=full_page)


def analyst_on_the_import_page(open_page):
    call_command("import_study", str(MAYO_FILE), stdout=StringIO())
    study = Study.objects.get(slug="mayo-trd")
    MembershipFactory(study=study, role=Membership.Role.ANALYST, user=UserFactory(username="analyst"))
    page = open_page(DESKTOP)
    sign_in(page, "analyst")
    page.goto("/analysis/mayo-trd/results/")
    page.get_by_role("link", name="Import answers from Microsoft Forms or REDCap").click()
    expect(page.get_by_role("heading", name="Export and mapping")).to_be_visible()
    return page


def send(page, action: str, export: Path, dictionary: Path | None = None, mapping: str | None = None) -> None:
    """The file is chosen again at every step: the page keeps nothing of it."""
    page.get_by_label("Export file").set_input_files(str(export))
    if dictionary is not None:
        page.get_by_label("REDCap data dictionary").set_input_files(str(dictionary))
    if mapping is not None:
        page.get_by_label("Mapping (YAML)").fill(mapping)
    page.get_by_role("button", name=action, exact=True).click()


def test_an_analyst_imports_a_microsoft_forms_export(open_page, transactional_db, tmp_path):
    page = analyst_on_the_import_page(open_page)
    assert accessibility_violations(page) == []
    export = files.write_xlsx(tmp_path / "Delphi round 1(1-5).xlsx", files.msforms_rows())

    send(page, "Check", export)

    expect(page.get_by_text("Recognised as a Microsoft Forms export: 5 rows, 5 questions.")).to_be_visible()
    proposed = yaml.safe_load(page.get_by_label("Mapping (YAML)").input_value())
    assert proposed["labels"] == {"Strongly agree": None} and proposed["respondent"] == "email"
    assert proposed["columns"] == msforms_mapping()["columns"]
    assert not [identity for identity in IDENTITIES if identity in page.content()]
    assert accessibility_violations(page) == []
    capture(page, "msforms-1-proposed")
    # At 320 px the wide preview scrolls inside its own region, not the page.
    page.set_viewport_size(SMALLEST)
    assert horizontal_overflow(page) <= 0
    assert accessibility_violations(page) == []
    page.set_viewport_size(DESKTOP)

    # The analyst gives the one label the proposal could not place.
    edited = page.get_by_label("Mapping (YAML)").input_value().replace('"Strongly agree": ~', '"Strongly agree": 8')
    send(page, "Check", export, mapping=edited)

    expect(page.get_by_text(re.compile("The file passed every check: 5 submissions, 15 ratings"))).to_be_visible()
    assert Submission.objects.count() == 0
    capture(page, "msforms-2-checked")

    send(page, "Import", export)

    expect(page.get_by_text(re.compile(r"Imported round\(s\) 1: 14 ratings"))).to_be_visible()
    assert Submission.objects.count() == 5
    # The results page is long: its top, with the message, is what the docs show.
    capture(page, "msforms-3-imported", full_page=False)


def test_an_analyst_imports_a_longitudinal_redcap_export_after_fixing_its_mapping(open_page, transactional_db, tmp_path):
    page = analyst_on_the_import_page(open_page)
    export = files.write_csv(tmp_path / "DelphiTRD_DATA_2026-03-20.csv", files.redcap_raw(), "utf-8")
    dictionary = files.write_csv(tmp_path / "DelphiTRD_DataDictionary_2026-03-20.csv", files.redcap_dictionary(), "utf-8")
    mapping = redcap_mapping()
    del mapping["columns"]["email"]

    send(page, "Check", export, dictionary, yaml.safe_dump(mapping, sort_keys=False))

    problems = page.get_by_role("region", name="Table: problems in the file, by row")
    expect(problems).to_contain_text("unmapped column")
    expect(problems.get_by_role("cell", name="email", exact=True)).to_be_visible()
    # The email field is marked an identifier in the dictionary: the preview hides it like the record id.
    assert not [identity for identity in IDENTITIES if identity in page.content()]
    assert accessibility_violations(page) == []
    capture(page, "redcap-1-problems")

    mapping["columns"]["email"] = "ignore"
    send(page, "Check", export, dictionary, yaml.safe_dump(mapping, sort_keys=False))

    expect(page.get_by_text(re.compile("The file passed every check: 9 submissions"))).to_be_visible()
    expect(page.get_by_text("Events: round_1_arm_1, round_2_arm_1.")).to_be_visible()
    capture(page, "redcap-2-checked")

    send(page, "Import", export, dictionary)

    expect(page.get_by_text(re.compile(r"Imported round\(s\) 1, 2"))).to_be_visible()
    assert Submission.objects.filter(round__number=2).count() == 4
