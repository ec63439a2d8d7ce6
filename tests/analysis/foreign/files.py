"""Export files of Microsoft Forms and REDCap in their tools' own shapes, built from one set of answers.

The panel answers three of the Mayo study's statements and two vignettes'
not-recommended lists; the same answers are also written as SPEC 4.2 files,
so that both imports can be compared. Every email and name here must never
reach the database.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook

from surveys.models import Item

STATEMENTS = ("base-main", "cad-main", "sud-main")
VIGNETTES = {"base": "Base clinical vignette", "cad": "Coronary artery disease"}
SHORT = {"tms": "TMS", "ect": "ECT", "maoi": "MAO-I", "tca": "TCA"}
LETTERS = {"tms": "a", "ect": "b", "maoi": "c", "tca": "d"}

# Round 1: five panelists; in round 2 (REDCap only) the first four come back.
PANEL = [
    {"email": "ana.lima@clinic.example", "name": "Ana Lima", "ratings": {"base-main": 9, "cad-main": 6, "sud-main": 7},
     "nr": {"base": ["maoi", "tca"], "cad": ["ect"]}},
    {"email": "bo.chen@clinic.example", "name": "Bo Chen", "ratings": {"base-main": 8, "cad-main": 5, "sud-main": 8},
     "nr": {"base": ["maoi"], "cad": []}},
    {"email": "carla.ruiz@clinic.example", "name": "Carla Ruiz", "ratings": {"base-main": 8, "cad-main": 9, "sud-main": 6},
     "nr": {"base": ["tca"], "cad": ["ect", "maoi"]}},
    {"email": "dev.patel@clinic.example", "name": "Dev Patel", "ratings": {"base-main": 9, "cad-main": 7, "sud-main": 1},
     "nr": {"base": ["maoi", "tms"], "cad": []}},
    {"email": "emma.stone@clinic.example", "name": "Emma Stone", "ratings": {"base-main": 7, "cad-main": 8, "sud-main": None},
     "nr": {"base": [], "cad": ["tca"]}},
]
ROUND_2 = [
    {"cad-main": 8, "sud-main": 7},
    {"cad-main": 9, "sud-main": 8},
    {"cad-main": 8, "sud-main": 9},
    {"cad-main": 7, "sud-main": 8},
]
IDENTITIES = [value for person in PANEL for value in (person["email"], person["name"])]


def statement_texts() -> dict[str, str]:
    return dict(Item.objects.filter(round__number=1, code__in=STATEMENTS).values_list("code", "text"))


def nr_question(vignette: str) -> str:
    return f"{VIGNETTES[vignette]}: which of these options would you not recommend for this patient?"


def label(rating: int | None) -> str:
    """Answers as Forms writes a choice question's labels."""
    return {None: "", 1: "1 - complete disagreement", 9: "9 - complete agreement", 8: "Strongly agree"}.get(
        rating, str(rating)
    )


# -- Microsoft Forms -----------------------------------------------------------------

ENGLISH = ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time"]
JAPANESE = ["ID", "開始時刻", "完了時刻", "メール", "名前"]


def msforms_rows(*, fixed=ENGLISH, quiz=False, anonymous=False, panel=PANEL) -> list[list]:
    texts = statement_texts()
    questions = [texts[code] for code in STATEMENTS] + [nr_question(v) for v in VIGNETTES]
    header = list(fixed) + (["Total points", "Quiz feedback"] if quiz else [])
    for question in questions:
        header.append(question)
        if quiz:
            header += [f"Points - {question}", f"Feedback - {question}"]
    rows = [header]
    for number, person in enumerate(panel, start=1):
        row = [number, f"3/{number}/2026 10:00:00", f"3/{number}/2026 10:12:30"]
        row += ["anonymous", ""] if anonymous else [person["email"], person["name"]]
        row += [f"3/{number}/2026 10:12:30"] if len(fixed) == 6 else []
        row += ["", ""] if quiz else []
        answers = [label(person["ratings"][code]) for code in STATEMENTS]
        answers += ["".join(SHORT[o] + ";" for o in person["nr"][v]) for v in VIGNETTES]
        for answer in answers:
            row += [answer] + (["", ""] if quiz else [])
        rows.append(row)
    return rows


def write_xlsx(path: Path, rows: list[list]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding="utf-8-sig") -> Path:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    path.write_text(text.getvalue(), encoding=encoding)
    return path


# -- REDCap -----------------------------------------------------------------------------

DICTIONARY_HEADER = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation",
]
SCALE_CHOICES = "1, 1 - complete disagreement | 2,2| 3 , 3 |4, 4 | 5, 5 - neutral|6, 6 | 7, 7 | 8, 8 | 9, 9 - complete agreement"
NR_CHOICES = " | ".join(f"{letter}, {SHORT[code]}" for code, letter in LETTERS.items())


def field_name(code: str) -> str:
    return code.replace("-", "_")


def redcap_dictionary(*, annotation=True) -> list[list]:
    texts = statement_texts()
    rows = [DICTIONARY_HEADER, ["record_id", "delphi", "", "text", "Record ID", "", "", "", "", "", "", "", "", "", "", "", "", ""],
            ["email", "delphi", "", "text", "Email", "", "", "email", "", "", "y", "", "", "", "", "", "", ""]]
    for code in STATEMENTS:
        rows.append([field_name(code), "delphi", "", "radio", f"<b>{texts[code]}</b>", SCALE_CHOICES] + [""] * 12)
    for vignette in VIGNETTES:
        rows.append([f"nr_{vignette}", "delphi", "", "checkbox", nr_question(vignette), NR_CHOICES] + [""] * 12)
    rows.append(["intro", "delphi", "", "descriptive", "Thank you for taking part", ""] + [""] * 12)
    return rows if annotation else [row[:-1] for row in rows]


def _redcap_records(longitudinal: bool):
    for number, person in enumerate(PANEL, start=1):
        yield number, "round_1_arm_1", person["ratings"], person["nr"], person["email"]
    if longitudinal:
        for number, ratings in enumerate(ROUND_2, start=1):
            yield number, "round_2_arm_1", {"base-main": None, **ratings}, {v: [] for v in VIGNETTES}, PANEL[number - 1]["email"]


def redcap_raw(*, longitudinal=True) -> list[list]:
    header = ["record_id"] + (["redcap_event_name"] if longitudinal else []) + [
        "redcap_survey_identifier", "delphi_timestamp", "email"]
    header += [field_name(c) for c in STATEMENTS]
    header += [f"nr_{v}___{letter}" for v in VIGNETTES for letter in LETTERS.values()]
    header += ["delphi_complete"]
    rows = [header]
    for record, event, ratings, nr, email in _redcap_records(longitudinal):
        row = [str(record)] + ([event] if longitudinal else []) + ["", "2026-03-01 10:00:00", email]
        row += ["" if ratings[c] is None else str(ratings[c]) for c in STATEMENTS]
        row += ["1" if code in nr[v] else "0" for v in VIGNETTES for code in LETTERS]
        row += ["2"]
        rows.append(row)
    return rows


def redcap_labels(*, longitudinal=True) -> list[list]:
    texts = statement_texts()
    choice = {int(c.split(",")[0]): c.split(",", 1)[1].strip() for c in SCALE_CHOICES.split("|")}
    header = ["Record ID"] + (["Event Name"] if longitudinal else []) + ["Survey Identifier", "Survey Timestamp", "Email"]
    header += [texts[c] for c in STATEMENTS]
    header += [f"{nr_question(v)} (choice={SHORT[code]})" for v in VIGNETTES for code in LETTERS]
    header += ["Complete?"]
    rows = [header]
    events = {"round_1_arm_1": "Round 1 (Arm 1: Arm 1)", "round_2_arm_1": "Round 2 (Arm 1: Arm 1)"}
    for record, event, ratings, nr, email in _redcap_records(longitudinal):
        row = [str(record)] + ([events[event]] if longitudinal else []) + ["", "2026-03-01 10:00:00", email]
        row += ["" if ratings[c] is None else choice[ratings[c]] for c in STATEMENTS]
        row += ["Checked" if code in nr[v] else "Unchecked" for v in VIGNETTES for code in LETTERS]
        row += ["Complete"]
        rows.append(row)
    return rows


# -- SPEC 4.2, the same answers ---------------------------------------------------------


def spec_files(tmp_path: Path, *, longitudinal=False) -> tuple[Path, Path]:
    ratings = [["round", "panelist", "statement", "rating"]]
    selections = [["round", "panelist", "vignette", "option"]]
    for number, person in enumerate(PANEL, start=1):
        for code in STATEMENTS:
            rating = person["ratings"][code]
            ratings.append([1, f"P{number:02d}", code, "" if rating is None else rating])
        for vignette, chosen in person["nr"].items():
            selections += [[1, f"P{number:02d}", vignette, option] for option in chosen]
    if longitudinal:
        for number, answers in enumerate(ROUND_2, start=1):
            ratings.append([2, f"P{number:02d}", "base-main", ""])
            ratings += [[2, f"P{number:02d}", code, rating] for code, rating in answers.items()]
    return write_csv(tmp_path / "ratings.csv", ratings, "utf-8"), write_csv(tmp_path / "nr.csv", selections, "utf-8")
