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


def inert(value):
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
    flat = _flat(df).map(inert)
    flat.columns = [inert(str(c)) for c in flat.columns]
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
TEXT_COLUMNS = frozenset(
    {"text", "vignette_title", "option_name", "options", "reasons", "comment", "value", "mean_ranks", "item",
     "topic", "report", "note"}
)

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

    The preamble needs `\\usepackage{booktabs,longtable,array,pdflscape}`.
    The columns share the whole line, each by how much it holds, running
    text getting the most; a table too wide for the line is set smaller, and
    the widest on a landscape page. The header repeats on every page.
    """
    shown = readable(df, blank="")
    keys = [str(column) for column in df.columns]
    spec, size, landscape = _latex_layout(keys, shown)
    header = " & ".join(latex_escape(column) for column in shown.columns) + r" \\"
    lines = ["% Needs \\usepackage{booktabs,longtable,array,pdflscape} in the preamble."]
    if landscape:
        lines.append(r"\begin{landscape}")
    lines.append(r"\begingroup" + (f"\\{size}" if size else "") + r"\setlength{\tabcolsep}{3pt}")
    lines += [
        f"\\begin{{longtable}}{{@{{}}{spec}@{{}}}}",
        r"\toprule",
        header,
        r"\midrule",
        r"\endhead",
        r"\bottomrule",
        r"\endlastfoot",
    ]
    lines += [" & ".join(latex_escape(cell) for cell in row) + r" \\" for row in shown.itertuples(index=False)]
    lines += [r"\end{longtable}", r"\endgroup"]
    if landscape:
        lines.append(r"\end{landscape}")
    return ("\n".join(lines) + "\n").encode("utf-8")


# What fits: an article's line is about 34.5 em of its 10 pt text, 43 em at
# \footnotesize and 49 em at \scriptsize; a landscape page about 55, 69 and
# 78. A character is about half an em, a column gap 0.6 em (3 pt each side),
# and running text wants at least 10 em to read.
_FITS = (("", False, 34.5), ("footnotesize", False, 43.0), ("scriptsize", False, 49.0),
         ("", True, 55.0), ("footnotesize", True, 69.0), ("scriptsize", True, 78.0))
_CHAR_EM = 0.5
_GAP_EM = 0.6
_TEXT_EM = 10.0
# A header word longer than this is hyphenated rather than widening its column.
_HEADER_WORD = 8


def _latex_layout(keys: list[str], shown: pd.DataFrame) -> tuple[str, str, bool]:
    """The column spec, the font size (empty for the text's own) and whether the page turns.

    Codes and figures get the width of their longest cell (a long header word
    is hyphenated); columns of running text share the rest of the line by how
    much they hold.
    """
    fixed: dict[str, float] = {}
    text: dict[str, int] = {}
    for key, column in zip(keys, shown.columns):
        longest_word = max((len(word) for word in str(column).split()), default=1)
        longest_cell = max((len(str(cell)) for cell in shown[column]), default=0)
        if key in TEXT_COLUMNS:
            text[key] = max(min(longest_cell, 60), 10)
        else:
            fixed[key] = _CHAR_EM * max(longest_cell, min(longest_word, _HEADER_WORD), 1) + 0.3
    needed = sum(fixed.values()) + _TEXT_EM * len(text) + _GAP_EM * len(keys)
    size, landscape, _line = next((fit for fit in _FITS if needed <= fit[2]), _FITS[-1])
    fixed_em, total = sum(fixed.values()), sum(text.values())
    columns = []
    for key in keys:
        align = r">{\raggedleft\arraybackslash}" if key in NUMERIC_COLUMNS else r">{\raggedright\arraybackslash}"
        if key in text:
            share = f"(\\linewidth-{fixed_em:.1f}em-{2 * len(keys)}\\tabcolsep)*{text[key]}/{total}"
            columns.append(f"{align}p{{\\dimexpr{share}\\relax}}")
        else:
            columns.append(f"{align}p{{{fixed[key]:.1f}em}}")
    return "".join(columns), size, landscape


def _cell(sheet, value, *, text_style=None, number_format: str | None = None):
    """A cell of a write-only sheet: a text is always stored as text, never as a formula.

    A text that a spreadsheet would run carries Excel's quote prefix, the mark
    a typed leading apostrophe leaves, so it shows as written and stays text
    when the cell is edited. Control characters, which the format cannot hold,
    become U+FFFD. A plain number goes in as it is.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
        cell.data_type = "s"
        if _is_formula(cell.value):
            cell.quotePrefix = True
        if text_style is not None:
            cell.alignment = text_style
        return cell
    if number_format and value is not None:
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = number_format
        return cell
    return value


def _sheet(workbook, title: str, df: pd.DataFrame) -> None:
    """One table on a sheet written row by row (openpyxl's write-only mode): bold wrapped headers, the
    header row frozen, running text wrapped, means with two decimals, columns as wide as they need."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title=title[:SHEET_NAME_MAX])
    keys = [str(c) for c in df.columns]
    headers = [words(key) for key in keys]
    rows = [[spreadsheet_value(value, key) for key, value in zip(keys, row)] for row in df.itertuples(index=False)]
    for index, header in enumerate(headers):
        width = max([len(header), *(len(str(row[index])) for row in rows if row[index] is not None)]) + 2
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(width, WIDEST_COLUMN)
    sheet.freeze_panes = "A2"
    top = Alignment(vertical="top", wrap_text=True)
    bold = Font(bold=True)
    header_cells = [_cell(sheet, header, text_style=top) for header in headers]
    for cell in header_cells:
        cell.font = bold
    sheet.append(header_cells)
    wraps = [top if key in TEXT_COLUMNS else None for key in keys]
    formats = ["0.00" if key in TWO_DECIMALS else None for key in keys]
    for row in rows:
        sheet.append([_cell(sheet, value, text_style=wrap, number_format=number_format)
                      for value, wrap, number_format in zip(row, wraps, formats)])


def export_workbook(tables: Mapping[str, pd.DataFrame], *, methods: Sequence[tuple[str, str]] = ()) -> bytes:
    """One sheet per table, then a sheet of methods when there are any."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
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
