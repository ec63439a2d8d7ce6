"""The Word report for the paper: methods, final tables, participant flow, attrition, figures and sensitivity.

One click on the results page (or `export_consensus --report`) gives a .docx
an author edits into the manuscript: every figure the platform computes, in
the same words and rounding as every other export (analysis.printing), and
an annex that walks the ACCORD reporting checklist, filled in where the data
can say it and marked "to be written by the authors" where it cannot.
"""

from __future__ import annotations

import io

import pandas as pd

from analysis import figures
from analysis.exports import TEXT_COLUMNS
from analysis.final import final_not_recommended, final_recommendations
from analysis.methods import methods_summary
from analysis.participation import attrition, flow
from analysis.printing import readable
from analysis.tables import RoundData, sensitivity
from surveys.models import Item

TO_WRITE = "To be written by the authors."
# A small-multiples figure of more statements than this is too tall for a page;
# the report then points to the figure's own download.
MOST_STATEMENTS_DRAWN = 40


def word_report(data: RoundData) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Inches, Pt

    study = data.study
    methods = methods_summary(study=study, data=data).rows
    document = Document()
    document.styles["Normal"].font.size = Pt(10)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Inches(0.7))

    document.add_heading(study.title, level=0)
    document.add_paragraph(
        f"Results of the closed rounds up to round {data.round.number}. Figures are rounded half away from zero; "
        "means have two decimals."
    )

    document.add_heading("Methods", level=1)
    _table(document, pd.DataFrame(methods, columns=["item", "value"]))

    final = final_recommendations(data)
    document.add_heading("Table 3. Recommendations that reached consensus", level=1)
    document.add_paragraph(
        "Each statement as the study last asked it, following its lineage across rounds; the round in which "
        "consensus was first reached, and whether every later asking kept it."
    )
    _table(document, final, empty="No statement reached consensus.")

    document.add_heading("Table 4. Options that the panel would not recommend", level=1)
    threshold = f"{float(study.not_recommended_threshold):g}"
    document.add_paragraph(
        f"Per vignette, from the last round that asked it: options at least {threshold}% of the panelists who "
        "submitted that round would not recommend."
    )
    _table(document, final_not_recommended(data), empty="No option reached the threshold.")

    document.add_heading("Participant flow", level=1)
    _table(document, flow(data))
    _figure(document, figures.flow_figure(data), Inches(5))

    document.add_heading("Attrition", level=1)
    document.add_paragraph(
        "Round 1 ratings of the panelists who submitted the last round against those who did not (Mann-Whitney U, "
        f"two-sided). A group smaller than the study's minimum n ({study.minimum_n}) is not shown."
    )
    _table(document, attrition(data), empty="Only one round has closed: there is no attrition to check.")

    document.add_heading("Figures", level=1)
    statements = len(data.items_of(*Item.RATED_TYPES))
    if statements <= MOST_STATEMENTS_DRAWN:
        _figure(document, figures.distributions(data), Inches(9), caption=figures.FIGURES["distributions"])
    else:
        document.add_paragraph(
            f"The round has {statements} rated statements, too many for one page: download the "
            "distributions figure from the results page."
        )
    _figure(document, figures.heatmap(data), Inches(9), caption=figures.FIGURES["heatmap"])
    _figure(document, figures.consensus(data), Inches(5), caption=figures.FIGURES["consensus"])

    document.add_heading("Sensitivity to the consensus definition", level=1)
    _table(document, sensitivity(data))

    document.add_heading("Annex. Reporting checklist (ACCORD)", level=1)
    document.add_paragraph(
        "The topics of the ACCORD reporting guideline for consensus studies (Gattrell et al., PLOS Med "
        "2024;21(1):e1004326), paraphrased; see the guideline for its own wording and item numbers. Where the "
        "platform's data can answer, the answer is filled in."
    )
    _table(document, checklist(data, dict(methods), final))

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def checklist(data: RoundData, methods: dict[str, str], final: pd.DataFrame) -> pd.DataFrame:
    """ACCORD's topics by section, each answered from the data or left to the authors."""
    rounds = [label for label in methods if label.startswith("Round ")]
    table3 = f"{len(final)} statements reached consensus (Table 3)" if len(final) else "None reached consensus"
    rows = [
        ("Title", "Identify the report as a consensus study, naming the method", TO_WRITE),
        ("Abstract", "Structured summary of objectives, methods, results and conclusions", TO_WRITE),
        ("Introduction", "Background and why a consensus method was needed", TO_WRITE),
        ("Introduction", "Aims and objectives", TO_WRITE),
        ("Methods", "Consensus method used and any modification", methods["Design"]),
        ("Methods", "Who organised the study and their roles", TO_WRITE),
        ("Methods", "How panelists were identified, selected and invited", TO_WRITE),
        ("Methods", "Size and characteristics of the panel", methods["Panel"]),
        ("Methods", "How the questionnaire and its items were developed", TO_WRITE),
        ("Methods", "Rating scale", methods["Rating scale"]),
        ("Methods", "Definition of consensus, set before the rounds", methods["Consensus definition"]),
        ("Methods", "Number of rounds and what decided when to stop", f"{methods['Number of rounds']} rounds. "
                                                                     "Stopping rule: " + TO_WRITE),
        ("Methods", "Anonymity", methods["Anonymity"]),
        ("Methods", "Feedback given to panelists between rounds", methods["Feedback between rounds"]),
        ("Methods", "How items changed between rounds", methods["Changes between rounds"]),
        ("Methods", "Meetings or discussions besides the questionnaires", TO_WRITE),
        ("Methods", "Handling of missing answers", methods["Missing answers"]),
        ("Methods", "Statistical analysis", methods["Statistics"]),
        ("Methods", "Protocol, registration and deviations from it",
         methods.get("Protocol", "") or TO_WRITE),
        ("Methods", "Ethics approval and consent", TO_WRITE),
        ("Results", "Participation and response rate of each round",
         "; ".join(f"{label}: {methods[label]}" for label in rounds) + " (see Participant flow)"),
        ("Results", "Attrition between rounds and its possible bias", "See Attrition"),
        ("Results", "Results of each round", "See the results of each round, exported per round"),
        ("Results", "Final outcome of the consensus process", table3),
        ("Results", "Items that did not reach consensus", "Listed with --all / Include every statement"),
        ("Discussion", "Interpretation, in the light of other evidence", TO_WRITE),
        ("Discussion", "Strengths and limitations", TO_WRITE),
        ("Other", "Funding and the funder's role", TO_WRITE),
        ("Other", "Conflicts of interest", TO_WRITE),
        ("Other", "Availability of data and materials", "The anonymised answers and the study file export "
                                                        "from the platform (SPEC 4.1, 4.2)"),
    ]
    return pd.DataFrame(rows, columns=["section", "topic", "report"])


# The text width of a landscape letter page with 0.7 inch margins, and a
# character's width at 8 pt.
TEXT_WIDTH_INCHES = 9.6
CHAR_INCHES = 0.075


def _table(document, frame: pd.DataFrame, *, empty: str = "Nothing to show.") -> None:
    from docx.shared import Inches, Pt

    if frame.empty:
        document.add_paragraph(empty)
        return
    shown = readable(frame, blank="")
    widths = [Inches(width) for width in _widths([str(key) for key in frame.columns], shown)]
    size = Pt(8)
    table = document.add_table(rows=1, cols=len(shown.columns))
    table.style = "Table Grid"
    table.autofit = False
    # Word reads the cells' widths, LibreOffice the grid's: set both.
    for column, width in zip(table.columns, widths):
        column.width = width

    def fill(cells, values, *, bold: bool = False) -> None:
        """Each cell's text as one run at 8 pt, and its width; one pass, as python-docx is slow per cell."""
        for cell, value, width in zip(cells, values, widths):
            cell.width = width
            run = cell.paragraphs[0].add_run(str(value))
            run.font.size = size
            if bold:
                run.bold = True

    fill(table.rows[0].cells, shown.columns, bold=True)
    for row in shown.itertuples(index=False):
        fill(table.add_row().cells, row)


def _widths(keys: list[str], shown: pd.DataFrame) -> list[float]:
    """Column widths in inches: codes and figures as wide as they hold at 8 pt, running text the rest."""
    fixed: dict[int, float] = {}
    text: dict[int, int] = {}
    for index, (key, column) in enumerate(zip(keys, shown.columns)):
        longest_cell = max((len(str(cell)) for cell in shown[column]), default=0)
        longest_word = max((len(word) for word in str(column).split()), default=1)
        if key in TEXT_COLUMNS:
            text[index] = max(min(longest_cell, 60), 12)
        else:
            fixed[index] = CHAR_INCHES * max(min(longest_cell, 24), min(longest_word, 10), 2) + 0.22
    if not text:
        return [width * max(1.0, TEXT_WIDTH_INCHES / sum(fixed.values())) for width in fixed.values()]
    # Text keeps at least an inch a column; on a table too wide for that the other columns narrow alike.
    room = max(TEXT_WIDTH_INCHES - sum(fixed.values()), 1.0 * len(text))
    shrink = min(1.0, (TEXT_WIDTH_INCHES - room) / (sum(fixed.values()) or 1))
    total = sum(text.values())
    return [fixed[i] * shrink if i in fixed else room * text[i] / total for i in range(len(keys))]


def _figure(document, drawn, width, *, caption: str | None = None) -> None:
    if drawn is None:
        return
    document.add_picture(io.BytesIO(figures.render(drawn, "png")), width=width)
    if caption:
        document.add_paragraph(caption, style="Caption")
