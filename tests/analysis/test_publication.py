"""Files that go into a manuscript as they are: headers in words, Yes/No, LaTeX that compiles."""

import io
import json
import re

import openpyxl
import pytest
from django.core.management import call_command

from analysis.catalog import FILE_TABLES, TABLES
from analysis.headers import WORDS, words
from tests.analysis.studies import three_rounds
from tests.analysis.tabular import compile_latex

pytestmark = pytest.mark.django_db

EVERY_TABLE = [*TABLES, *FILE_TABLES, "methods"]


@pytest.fixture
def study(mayo_study):
    three_rounds(mayo_study)
    return mayo_study


def export(study, table, fmt, *args) -> str:
    out = io.StringIO()
    call_command("export_consensus", study.slug, "--table", table, "--format", fmt, "--all", *args, stdout=out)
    return out.getvalue()


def test_every_column_of_every_table_has_its_header_in_words(study):
    for table in EVERY_TABLE:
        for number in ("1", "3"):
            rows = json.loads(export(study, table, "json", *(["--round", number] if table != "methods" else [])))
            for key in rows[0] if rows else []:
                assert words(key) and "_" not in words(key), (table, key)


def test_a_header_without_words_is_an_error_not_a_key_shown_as_is():
    with pytest.raises(KeyError):
        words("consensus_in_round_seven")
    assert "mad_m" in WORDS and words("mad_m") == "MAD-M"


def test_the_manuscript_formats_say_yes_and_no_and_print_means_with_two_decimals(study, tmp_path):
    markdown = export(study, "final-recommendations", "md")
    assert "| Vignette | Vignette title | Statement |" in markdown
    assert "True" not in markdown and "False" not in markdown and "| Yes |" in markdown
    # base-main's mean of 8 prints 8.00, as the paper prints it.
    assert "| 8.00 |" in markdown

    path = tmp_path / "final.xlsx"
    call_command("export_consensus", study.slug, "--table", "final-recommendations", "--format", "xlsx", "--all",
                 "--output", str(path))
    sheet = openpyxl.load_workbook(path)["final-recommendations"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Vignette", "Vignette title", "Statement"]
    values = {cell.value for row in sheet.iter_rows(min_row=2) for cell in row}
    assert {"Yes", "No"} <= values and not any(isinstance(value, bool) for value in values)
    mean = header.index("Mean") + 1
    assert sheet.cell(row=2, column=mean).number_format == "0.00"

    # CSV and JSON keep the keys and the values programs read (SPEC 4.3).
    assert export(study, "final-recommendations", "csv").startswith("vignette,vignette_title,statement,")
    assert json.loads(export(study, "recommendations", "json", "--round", "1"))[0]["consensus"] in (True, False)


def test_every_table_of_a_three_round_study_compiles_with_pdflatex(study, tmp_path):
    tables = {}
    for table in EVERY_TABLE:
        for number in ("1", "2", "3"):
            if table == "methods" and number != "3":
                continue
            args = ["--round", number] if table != "methods" else []
            tables[f"{table}-{number}".replace("-", "")] = export(study, table, "tex", *args)

    pdf = compile_latex(tables, tmp_path)

    assert pdf.read_bytes().startswith(b"%PDF")


def test_long_texts_wrap_in_the_room_codes_and_figures_leave(study):
    latex = export(study, "final-recommendations", "tex")

    begin = next(line for line in latex.splitlines() if line.startswith("\\begin{longtable}"))
    wrapping = re.findall(r"\\tabcolsep\)\*(\d+)/(\d+)\\relax", begin)
    fixed = re.findall(r"p\{([0-9.]+)em\}", begin)
    # The vignette's title, the statement's text and its options wrap; the 11 others do not.
    assert len(wrapping) == 3 and len(fixed) == 11
    assert sum(int(share) for share, _total in wrapping) == int(wrapping[0][1])
