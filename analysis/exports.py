"""A table as a file: CSV, JSON, XLSX, Markdown or LaTeX.

The JSON keys and CSV columns are the table's columns (fixed by SPEC 4.3 for
the two consensus tables). List cells (a statement's options) are JSON lists
and, in the flat formats, codes joined by "; ".

Texts come from facilitators and imported files, so no format lets a text
act on the analyst who opens it: a spreadsheet never reads one as a formula,
Markdown never renders one as HTML or a new row, and LaTeX never reads one as
a command.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMATS = ("csv", "json", "xlsx", "md", "tex")
EXTENSIONS = {"csv": "csv", "json": "json", "xlsx": "xlsx", "md": "md", "tex": "tex"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown; charset=utf-8",
    "tex": "application/x-tex; charset=utf-8",
}
LIST_SEPARATOR = "; "
# Excel refuses sheet names over 31 characters.
SHEET_NAME_MAX = 31
WIDEST_COLUMN = 60
# A text a spreadsheet would run as a formula: OWASP, "CSV Injection"
# (https://owasp.org/www-community/attacks/CSV_Injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A text that is a plain number, such as "-0.5", stays as it is: a spreadsheet
# reads it as that number and nothing else.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")


def _plain(value):
    """A cell as a JSON-ready Python value: numpy scalars unwrapped, NaN as null."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def records(df: pd.DataFrame) -> list[dict]:
    return [{column: _plain(value) for column, value in row.items()} for row in df.to_dict("records")]


def _is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value)


def _inert(value):
    """A CSV cell a spreadsheet reads as text: a leading quote before anything it would run (OWASP)."""
    return "'" + value if _is_formula(value) else value


def _one_line(text: str) -> str:
    return _NEWLINES.sub(" ", text)


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """Lists joined into strings, for formats whose cells hold one value."""
    flat = df.copy()
    for column in flat.columns:
        if flat[column].map(lambda v: isinstance(v, (list, tuple))).any():
            flat[column] = flat[column].map(lambda v: LIST_SEPARATOR.join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    return flat


def to_csv(df: pd.DataFrame) -> bytes:
    flat = _flat(df).map(_inert)
    flat.columns = [_inert(str(c)) for c in flat.columns]
    return flat.to_csv(index=False, lineterminator="\n").encode("utf-8")


def to_json(df: pd.DataFrame) -> bytes:
    return (json.dumps(records(df), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# Markdown's own marks: a link or an image (which a preview would fetch),
# emphasis, code. Each is written after a backslash, as CommonMark reads
# "\\[" as a plain "[".
_MARKDOWN_MARKS = re.compile(r"([\\`*_\[\]()!|#~])")


def _markdown_cell(text: str) -> str:
    """Shown as written: no HTML, link, image or emphasis; a pipe kept inside its cell, a newline inside its row."""
    for character, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = text.replace(character, escaped)
    return _one_line(_MARKDOWN_MARKS.sub(r"\\\1", text))


def to_markdown(df: pd.DataFrame) -> bytes:
    flat = _flat(df).map(lambda v: _markdown_cell(v) if isinstance(v, str) else v)
    flat.columns = [_markdown_cell(str(c)) for c in flat.columns]
    if flat.empty:
        return ("| " + " | ".join(flat.columns) + " |\n|" + "---|" * len(flat.columns) + "\n").encode("utf-8")
    return (flat.to_markdown(index=False, missingval="") + "\n").encode("utf-8")


def to_latex(df: pd.DataFrame) -> bytes:
    """A plain `tabular` that compiles without extra packages (no booktabs)."""
    # A blank line inside a cell would end the paragraph, which TeX refuses in a table.
    flat = _flat(df).map(lambda v: _one_line(v) if isinstance(v, str) else v)
    flat = flat.astype(object).where(lambda f: f.notna(), "")
    styler = flat.style.hide(axis="index").format(escape="latex", precision=2).format_index(escape="latex", axis=1)
    body = styler.to_latex(column_format="l" * max(len(flat.columns), 1), hrules=True)
    for rule in ("\\toprule", "\\midrule", "\\bottomrule"):
        body = body.replace(rule, "\\hline")
    return body.encode("utf-8")


def _append(sheet, values: Sequence) -> None:
    """One row of numbers and texts: a text is always stored as text, never as a formula.

    A text that a spreadsheet would run carries Excel's quote prefix, the mark
    a typed leading apostrophe leaves, so it shows as written and stays text
    when the cell is edited. Control characters, which the format cannot hold,
    become U+FFFD.
    """
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if _is_formula(cell.value):
                cell.quotePrefix = True


def _sheet(workbook: Workbook, title: str, df: pd.DataFrame) -> None:
    sheet = workbook.create_sheet(title=title[:SHEET_NAME_MAX])
    flat = _flat(df)
    _append(sheet, [str(c) for c in flat.columns])
    for row in flat.itertuples(index=False):
        _append(sheet, [_plain(v) for v in row])
    _format_sheet(sheet, [str(c) for c in flat.columns], flat)


def _format_sheet(sheet, header: Sequence[str], df: pd.DataFrame | None = None) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        values = [] if df is None else [str(v) for v in df.iloc[:, index - 1] if _plain(v) is not None]
        width = max([len(name), *map(len, values)]) + 2
        sheet.column_dimensions[get_column_letter(index)].width = min(width, WIDEST_COLUMN)


def _methods_sheet(workbook: Workbook, methods: Sequence[tuple[str, str]]) -> None:
    sheet = workbook.create_sheet(title="methods")
    _append(sheet, ["item", "value"])
    for label, value in methods:
        _append(sheet, [str(label), str(value)])
    _format_sheet(sheet, ["item", "value"], pd.DataFrame(methods, columns=["item", "value"]) if methods else None)
    for row in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def export_workbook(tables: Mapping[str, pd.DataFrame], *, methods: Sequence[tuple[str, str]] = ()) -> bytes:
    """One sheet per table, then a sheet of methods when there are any."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, df in tables.items():
        _sheet(workbook, name, df)
    if methods:
        _methods_sheet(workbook, methods)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_table(df: pd.DataFrame, *, name: str, fmt: str, methods: Sequence[tuple[str, str]] = ()) -> bytes:
    if fmt == "xlsx":
        return export_workbook({name: df}, methods=methods)
    writers = {"csv": to_csv, "json": to_json, "md": to_markdown, "tex": to_latex}
    if fmt not in writers:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return writers[fmt](df)
