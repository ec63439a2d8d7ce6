"""A table as a file: CSV, JSON, XLSX, Markdown or LaTeX.

CSV and JSON are for programs: their columns are the table's keys (fixed by
SPEC 4.3 for the two consensus tables), list cells are JSON lists or codes
joined by "; ", and values are plain. XLSX, Markdown and LaTeX are for the
manuscript: headers in words, Yes/No, means with two decimals
(analysis.printing).

Texts come from facilitators and imported files, so no format lets a text
act on the analyst who opens it: a spreadsheet never reads one as a formula,
Markdown never renders one as HTML, a link or a new row, and LaTeX never
reads one as a command.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping, Sequence

import pandas as pd

from analysis.headers import words
from analysis.printing import LIST_SEPARATOR, TWO_DECIMALS, plain, readable, spreadsheet_value

FORMATS = ("csv", "json", "xlsx", "md", "tex")
EXTENSIONS = {"csv": "csv", "json": "json", "xlsx": "xlsx", "md": "md", "tex": "tex"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown; charset=utf-8",
    "tex": "application/x-tex; charset=utf-8",
}
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


def records(df: pd.DataFrame) -> list[dict]:
    return [{column: plain(value) for column, value in row.items()} for row in df.to_dict("records")]


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
    shown = readable(df, blank="")
    header = [_markdown_cell(column) for column in shown.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(_alignment(column) for column in df.columns) + "|"]
    lines += ["| " + " | ".join(_markdown_cell(cell) for cell in row) + " |" for row in shown.itertuples(index=False)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _alignment(column) -> str:
    return "---:" if str(column) in NUMERIC_COLUMNS else "---"


# Columns of figures, right-aligned in Markdown and LaTeX.
NUMERIC_COLUMNS = frozenset(
    {"n", "count", "percent", "min", "max", "median", "sd", "p25", "p75", "iqr", "mad_m", "cv", "round",
     "from_round", "last_round", "first_consensus_round", "raters", "w", "chi2", "df", "p", "rating",
     "of", "lost", "returned", "completers", "dropouts",
     "mann_whitney_u", "mann_whitney_p", "wilcoxon_statistic", "wilcoxon_p", "pct_low", "pct_mid", "pct_high",
     "pct_changed", "n_before", "n_after", "n_paired", "median_before", "median_after", "median_change",
     "mean_change", "cv_before", "cv_after", "cv_change", "median_completers", "median_dropouts"}
    | TWO_DECIMALS
)
# Columns of running text, which wrap in LaTeX.
TEXT_COLUMNS = frozenset({"text", "vignette_title", "option_name", "reasons", "comment", "value", "mean_ranks", "item"})

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_LATEX_SPECIAL = re.compile("|".join(re.escape(character) for character in _LATEX_SPECIALS))


def latex_escape(text: str) -> str:
    """Text TeX prints as written: every special character escaped, on one line (a blank line ends a cell)."""
    return _LATEX_SPECIAL.sub(lambda match: _LATEX_SPECIALS[match.group()], _one_line(text))


def to_latex(df: pd.DataFrame) -> bytes:
    """A booktabs `longtable` whose text columns wrap, for `\\input` into a manuscript.

    The preamble needs `\\usepackage{booktabs,longtable,array}`. Column widths
    share the line by how much each column holds, text columns getting more;
    the header repeats on every page of a long table.
    """
    shown = readable(df, blank="")
    keys = [str(column) for column in df.columns]
    widths = _latex_widths(keys, shown)
    spec = "".join(
        (r">{\raggedleft\arraybackslash}" if key in NUMERIC_COLUMNS else r">{\raggedright\arraybackslash}")
        + f"p{{{width:.3f}\\linewidth}}"
        for key, width in zip(keys, widths)
    )
    header = " & ".join(latex_escape(column) for column in shown.columns) + r" \\"
    lines = [
        "% Needs \\usepackage{booktabs,longtable,array} in the preamble.",
        f"\\begin{{longtable}}{{@{{}}{spec}@{{}}}}",
        r"\toprule",
        header,
        r"\midrule",
        r"\endhead",
        r"\bottomrule",
        r"\endlastfoot",
    ]
    lines += [" & ".join(latex_escape(cell) for cell in row) + r" \\" for row in shown.itertuples(index=False)]
    lines.append(r"\end{longtable}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _latex_widths(keys: list[str], shown: pd.DataFrame) -> list[float]:
    """Shares of the line per column: by the longest cell or header word, text columns at least three times a figure's."""
    weights = []
    for key, column in zip(keys, shown.columns):
        longest_word = max((len(word) for word in str(column).split()), default=1)
        longest = max([longest_word, *(len(str(cell)) for cell in shown[column])])
        weight = min(max(longest, 3), 40)
        weights.append(max(weight, 12) if key in TEXT_COLUMNS else min(weight, 12))
    # The column gaps (2 x \tabcolsep each) take about 4% of the line per column.
    room = max(0.2, 1 - 0.04 * len(keys))
    total = sum(weights)
    return [room * weight / total for weight in weights]


def _append(sheet, values: Sequence) -> None:
    """One row of numbers and texts: a text is always stored as text, never as a formula.

    A text that a spreadsheet would run carries Excel's quote prefix, the mark
    a typed leading apostrophe leaves, so it shows as written and stays text
    when the cell is edited. Control characters, which the format cannot hold,
    become U+FFFD.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    sheet.append([ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if _is_formula(cell.value):
                cell.quotePrefix = True


def _sheet(workbook, title: str, df: pd.DataFrame) -> None:
    sheet = workbook.create_sheet(title=title[:SHEET_NAME_MAX])
    keys = [str(c) for c in df.columns]
    _append(sheet, [words(key) for key in keys])
    for row in df.itertuples(index=False):
        _append(sheet, [spreadsheet_value(value, key) for key, value in zip(keys, row)])
    _format_sheet(sheet, keys)


def _format_sheet(sheet, keys: Sequence[str]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.freeze_panes = "A2"
    for index, key in enumerate(keys, start=1):
        letter = get_column_letter(index)
        cells = [row[0] for row in sheet.iter_rows(min_row=2, min_col=index, max_col=index)]
        if key in TWO_DECIMALS:
            for cell in cells:
                cell.number_format = "0.00"
        if key in TEXT_COLUMNS:
            for cell in cells:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        header = str(sheet.cell(row=1, column=index).value)
        width = max([len(header), *(len(str(cell.value)) for cell in cells if cell.value is not None)]) + 2
        sheet.column_dimensions[letter].width = min(width, WIDEST_COLUMN)


def export_workbook(tables: Mapping[str, pd.DataFrame], *, methods: Sequence[tuple[str, str]] = ()) -> bytes:
    """One sheet per table, then a sheet of methods when there are any."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, df in tables.items():
        _sheet(workbook, name, df)
    if methods:
        _sheet(workbook, "methods", methods_frame(methods))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def methods_frame(methods: Sequence[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(list(methods), columns=["item", "value"])


def export_table(df: pd.DataFrame, *, name: str, fmt: str, methods: Sequence[tuple[str, str]] = ()) -> bytes:
    if fmt == "xlsx":
        return export_workbook({name: df}, methods=methods)
    writers = {"csv": to_csv, "json": to_json, "md": to_markdown, "tex": to_latex}
    if fmt not in writers:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return writers[fmt](df)
