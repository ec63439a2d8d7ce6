"""Microsoft Forms exports (XLSX, or CSV saved from it), read by position and shape, not by header.

The fixed columns come first and their headers are localised ("ID, 開始時刻,
完了時刻, メール, 名前"; older files write "Id"): ID, Start time, Completion
time, Email, Name, and in newer exports Last modified time, a sixth column
holding times. Quizzes add Total points and Quiz feedback after them, and
"Points - <question>" and "Feedback - <question>" beside questions; those
are left aside. Every other column is a question headed by its text.
Anonymous forms write "anonymous" as the email and "Anonymous" or nothing
as the name: such rows have no identity.
"""

import re

from analysis.files.foreign.export import MSFORMS, Export, Question, Row, preview
from analysis.files.foreign.sheet import Sheet

_TIME = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}[ T]\d{1,2}:\d{2}")
_WHOLE = re.compile(r"^\d+$")
QUIZ_HEADERS = ("total points", "quiz feedback")
QUIZ_PREFIXES = ("points - ", "feedback - ")
ANONYMOUS = {"", "anonymous"}


def _all(values: list[str], test) -> bool:
    filled = [v for v in values if v]
    return bool(filled) and all(test(v) for v in filled)


def _column(sheet: Sheet, i: int) -> list[str]:
    return [row[i] for row in sheet.rows]


def looks_like(sheet: Sheet) -> bool:
    """An ID column of whole numbers, then two columns of times: the shape of every Forms export."""
    if len(sheet.header) < 5 or not sheet.rows:
        return False
    return _all(_column(sheet, 0), _WHOLE.match) and _all(_column(sheet, 1), _TIME.match)


def read(sheet: Sheet) -> Export:
    header = sheet.header
    fixed = 5
    if len(header) > 5 and _all(_column(sheet, 5), _TIME.match):
        fixed = 6  # Last modified time
    ignored = list(header[:3]) + header[5:fixed]
    questions, skipped = [], set()
    for i in range(fixed, len(header)):
        text = header[i]
        if text.casefold() in QUIZ_HEADERS or text.casefold().startswith(QUIZ_PREFIXES):
            ignored.append(text)
            skipped.add(i)
            continue
        # Two questions of the same wording are told apart by their order: "Why? (2)".
        key, repeat = text, 1
        while any(q.key == key for _, q in questions):
            repeat += 1
            key = f"{text} ({repeat})"
        questions.append((i, Question(key=key, text=text, column=text)))
    rows = []
    for number, cells in zip(sheet.numbers, sheet.rows, strict=True):
        email, name = cells[3], cells[4]
        identities = {}
        if email.casefold() not in ANONYMOUS:
            identities["email"] = email.casefold()
        if name.casefold() not in ANONYMOUS:
            identities["name"] = " ".join(name.split()).casefold()
        rows.append(
            Row(
                number=number,
                identities=identities,
                answers={q.key: cells[i] for i, q in questions},
                incomplete="" if cells[2] else "it has no completion time",
            )
        )
    return Export(
        tool=MSFORMS,
        name=sheet.name,
        questions=[q for _, q in questions],
        rows=rows,
        identity_columns={"email": header[3], "name": header[4]},
        ignored=ignored,
        preview_header=header,
        preview_rows=preview(header, sheet.rows, {3, 4}),
    )
