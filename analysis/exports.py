"""A table as a file: CSV, JSON, XLSX, Markdown or LaTeX.

The JSON keys and CSV columns are the table's columns (fixed by SPEC 4.3 for
the two consensus tables). List cells (a statement's options) are JSON lists
and, in the flat formats, codes joined by "; ".
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from openpyxl import Workbook
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


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """Lists joined into strings, for formats whose cells hold one value."""
    flat = df.copy()
    for column in flat.columns:
        if flat[column].map(lambda v: isinstance(v, (list, tuple))).any():
            flat[column] = flat[column].map(lambda v: LIST_SEPARATOR.join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    return flat


def to_csv(df: pd.DataFrame) -> bytes:
    return _flat(df).to_csv(index=False, lineterminator="\n").encode("utf-8")


def to_json(df: pd.DataFrame) -> bytes:
    return (json.dumps(records(df), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def to_markdown(df: pd.DataFrame) -> bytes:
    flat = _flat(df)
    # A pipe inside a cell would end the cell in a Markdown table.
    flat = flat.map(lambda v: v.replace("|", "\\|") if isinstance(v, str) else v)
    flat.columns = [str(c).replace("|", "\\|") for c in flat.columns]
    if flat.empty:
        return ("| " + " | ".join(flat.columns) + " |\n|" + "---|" * len(flat.columns) + "\n").encode("utf-8")
    return (flat.to_markdown(index=False, missingval="") + "\n").encode("utf-8")


def to_latex(df: pd.DataFrame) -> bytes:
    """A plain `tabular` that compiles without extra packages (no booktabs)."""
    flat = _flat(df).astype(object).where(lambda f: f.notna(), "")
    styler = flat.style.hide(axis="index").format(escape="latex", precision=2).format_index(escape="latex", axis=1)
    body = styler.to_latex(column_format="l" * max(len(flat.columns), 1), hrules=True)
    for rule in ("\\toprule", "\\midrule", "\\bottomrule"):
        body = body.replace(rule, "\\hline")
    return body.encode("utf-8")


def _sheet(workbook: Workbook, title: str, df: pd.DataFrame) -> None:
    sheet = workbook.create_sheet(title=title[:SHEET_NAME_MAX])
    flat = _flat(df)
    sheet.append([str(c) for c in flat.columns])
    for row in flat.itertuples(index=False):
        sheet.append([_plain(v) for v in row])
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
    sheet.append(["item", "value"])
    for label, value in methods:
        sheet.append([str(label), str(value)])
    _format_sheet(sheet, ["item", "value"], pd.DataFrame(methods, columns=["item", "value"]) if methods else None)
    for row in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def export_workbook(tables: Mapping[str, pd.DataFrame], *, methods: Sequence[tuple[str, str]] = ()) -> bytes:
    """One sheet per table, then a sheet of methods."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, df in tables.items():
        _sheet(workbook, name, df)
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
