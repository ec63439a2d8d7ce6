"""The Word report: read back with python-docx, as an author's word processor would open it."""

import io
import re

import docx
import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.analysis.studies import three_rounds

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(mayo_study, tmp_path):
    three_rounds(mayo_study)
    path = tmp_path / "report.docx"
    call_command("export_consensus", "mayo-trd", "--report", "--output", str(path))
    return docx.Document(str(path))


def table_after(document, heading: str):
    """The first table after the heading that starts with `heading`, as rows of cell texts."""
    body = document.element.body
    found = False
    for child in body.iterchildren():
        if child.tag.endswith("}p") and "".join(child.itertext()).startswith(heading):
            found = True
        elif found and child.tag.endswith("}tbl"):
            table = docx.table.Table(child, document)
            return [[cell.text for cell in row.cells] for row in table.rows]
    raise AssertionError(f"no table after {heading!r}")


def test_the_report_holds_every_part_of_the_paper(report):
    headings = [p.text for p in report.paragraphs if p.style.name.startswith("Heading") or p.style.name == "Title"]
    assert headings == [
        "Next-step treatment options for treatment-resistant depression (Mayo Clinic Depression Center panel)",
        "Methods",
        "Table 3. Recommendations that reached consensus",
        "Table 4. Options that the panel would not recommend",
        "Participant flow",
        "Attrition",
        "Figures",
        "Sensitivity to the consensus definition",
        "Annex. Reporting checklist (ACCORD)",
    ]
    # The flow, the distributions, the heatmap and the consensus figures.
    assert len(report.inline_shapes) == 4


def test_table_3_is_the_final_table_across_rounds_in_words(report):
    rows = table_after(report, "Table 3.")
    header = rows[0]
    assert header[:3] == ["Vignette", "Vignette title", "Statement"]
    assert "Consensus first reached in round" in header
    statement, mean = header.index("Statement"), header.index("Mean")
    assert [(row[statement], row[mean]) for row in rows[1:]] == [
        ("base-main", "8.00"), ("age70-main-v2", "9.00"), ("metabolic-seizures", "8.00"), ("cad-main", "9.00"),
    ]
    assert {row[header.index("Consensus")] for row in rows[1:]} == {"Yes"}


def test_table_4_and_the_flow_come_from_the_same_figures_as_the_exports(report):
    table4 = table_after(report, "Table 4.")
    assert [row[table4[0].index("%")] for row in table4[1:]] == ["60", "55.6"]
    flow = table_after(report, "Participant flow")
    assert [row[flow[0].index("n")] for row in flow[1:]] == ["0", "0", "10", "9", "9"]


def test_the_checklist_is_filled_where_the_data_can_say_and_left_to_the_authors_elsewhere(report):
    rows = table_after(report, "Annex.")
    answers = {row[1]: row[2] for row in rows[1:]}
    assert answers["Definition of consensus, set before the rounds"].startswith("all ratings above 5 and a mean above 7")
    assert answers["Final outcome of the consensus process"] == "4 statements reached consensus (Table 3)"
    assert answers["Ethics approval and consent"] == "To be written by the authors."
    assert answers["Identify the report as a consensus study, naming the method"] == "To be written by the authors."


def test_the_report_downloads_from_the_results_page(client, mayo_study, mayo_analyst):
    three_rounds(mayo_study)
    client.force_login(mayo_analyst)

    page = client.get(reverse("analysis:results", args=["mayo-trd"])).content.decode()
    link = re.search(r'href="([^"]*table=report[^"]*)"', page).group(1).replace("&amp;", "&")
    response = client.get(link)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="mayo-trd-round-3-report.docx"'
    assert docx.Document(io.BytesIO(response.content)).paragraphs[0].text.startswith("Next-step treatment")


def test_libreoffice_writer_opens_the_report_and_prints_it(mayo_study, tmp_path):
    import shutil
    import subprocess

    three_rounds(mayo_study)
    path = tmp_path / "report.docx"
    call_command("export_consensus", "mayo-trd", "--report", "--output", str(path))
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice is missing: `make test` installs it (libreoffice-writer-nogui).")

    subprocess.run(  # noqa: S603 - a fixed program on a file this test wrote
        [soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=300,
    )

    pdf = (tmp_path / "report.pdf").read_bytes()
    # The page tree's count: the report runs to several landscape pages.
    pages = max(int(count) for count in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count (\d+)", pdf, re.S))
    assert pdf.startswith(b"%PDF") and pages >= 5
