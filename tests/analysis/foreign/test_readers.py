"""The readers on their own: the shapes and encodings of the tools' files, and how answers become scale points."""

from __future__ import annotations

import io

import pytest

from analysis.files.foreign import msforms, redcap
from analysis.files.foreign.mapping import Mapping, scale_point
from analysis.files.foreign.reading import read_export
from analysis.files.foreign.sheet import SheetError, read_sheet

FORMS = [
    ["Id", "Start time", "Completion time", "Email", "Name", "Why?", "Why?"],
    ["1", "2026-03-01 10:00:00", "2026-03-01 10:05:00", "anonymous", "Anonymous", "a", "b"],
    ["2", "2026-03-01 10:00:00", "", "X@Example.org", "  Dr  Who ", "c", "d"],
]


def upload(rows: list[list[str]], *, delimiter=",", encoding="utf-8") -> io.BytesIO:
    data = io.BytesIO("\r\n".join(delimiter.join(row) for row in rows).encode(encoding))
    data.name = "export.csv"
    return data


@pytest.mark.parametrize(
    ("delimiter", "encoding"), [(",", "utf-8-sig"), (";", "cp1252"), ("\t", "utf-16")], ids=["utf-8", "excel", "utf-16"]
)
def test_a_forms_csv_is_read_in_excel_s_encodings_and_delimiters(delimiter, encoding):
    rows = [row[:] for row in FORMS]
    rows[2][4] = "Zoë Ñ"
    export = msforms.read(read_sheet(upload(rows, delimiter=delimiter, encoding=encoding)))

    assert [q.key for q in export.questions] == ["Why?", "Why? (2)"]
    assert export.rows[0].identities == {}  # anonymous
    assert export.rows[1].identities == {"email": "x@example.org", "name": "zoë ñ"}
    assert export.rows[1].incomplete == "it has no completion time"
    assert export.rows[1].answers == {"Why?": "c", "Why? (2)": "d"}


def test_a_forms_name_is_read_with_its_spaces_tidied():
    export = msforms.read(read_sheet(upload(FORMS)))

    assert export.rows[1].identities["name"] == "dr who"
    assert export.preview_rows[1][3:5] == ["(hidden)", "(hidden)"]


def test_an_empty_file_and_a_broken_workbook_are_refused_by_name():
    with pytest.raises(SheetError, match="export.csv: is empty"):
        read_sheet(upload([]))
    broken = io.BytesIO(b"PK\x03\x04 not a zip")
    broken.name = "export.xlsx"
    with pytest.raises(SheetError, match="export.xlsx: cannot be read as an XLSX workbook"):
        read_sheet(broken)


def test_dictionary_choices_are_read_with_uneven_spacing():
    assert redcap._choices("1, one | 2 ,two|3,three, with a comma|  b , Bee ") == {
        "1": "one", "2": "two", "3": "three, with a comma", "b": "Bee"
    }


@pytest.mark.parametrize(
    ("answer", "choices", "expected"),
    [
        ("7", {}, "7"),
        ("9 - complete agreement", {}, "9"),
        ("1 = strongly disagree", {}, "1"),
        ("Neutral", {"5": "Neutral"}, "5"),
        ("Strongly agree", {"5": "Strongly agree"}, "8"),  # the mapping's label wins over the code
        ("Agree", {"b": "Agree"}, None),
        ("Somewhat", {}, None),
        ("12 monkeys", {}, None),
    ],
)
def test_an_answer_becomes_a_scale_point_or_none(answer, choices, expected):
    assert scale_point(answer, Mapping(tool="msforms", labels={"Strongly agree": 8}), choices) == expected


def test_a_workbook_that_unpacks_past_the_bound_is_refused_before_it_is_parsed(monkeypatch):
    import zipfile

    from analysis.files.foreign import sheet

    monkeypatch.setattr(sheet, "MAX_UNPACKED_BYTES", 1000)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", "a" * 5000)
    data.seek(0)
    data.name = "bomb.xlsx"
    with pytest.raises(SheetError, match="bomb.xlsx: unpacks to more than 0 MB"):
        read_sheet(data)


def test_a_csv_wider_than_the_bound_is_refused_at_its_row():
    with pytest.raises(SheetError, match="export.csv: row 2 has more than 2,000 columns"):
        read_sheet(upload([["a"], ["x"] * 2001]))


def test_a_forms_workbook_with_real_dates_and_numbers_is_recognised(tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["ID", "Start time", "Completion time", "Email", "Name", "Q1"])
    book.active.append([1, datetime(2026, 3, 1, 10, 0), datetime(2026, 3, 1, 10, 5), "a@b.org", "A B", 7])
    book.active.append([2, datetime(2026, 3, 1, 11, 0), None, "anonymous", None, 7.0])
    book.save(tmp_path / "forms.xlsx")

    export = read_export(source=str(tmp_path / "forms.xlsx"))

    assert export.tool == "msforms"
    assert [row.answers for row in export.rows] == [{"Q1": "7"}, {"Q1": "7"}]
    assert [row.incomplete for row in export.rows] == ["", "it has no completion time"]
    assert export.ignored == ["ID", "Start time", "Completion time"]
