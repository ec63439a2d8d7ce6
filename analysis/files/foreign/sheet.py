"""A spreadsheet read as text: a CSV or XLSX file's header and rows, each row with its row number.

Cells are read as text, as the tools wrote them: "007" stays "007". Dates of
an XLSX file become ISO text; whole numbers lose Excel's ".0".
"""

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO

# Bounds that keep a hostile upload inside a web worker's timeout. A Delphi
# round's export is a few hundred rows of a few hundred columns.
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 2_000
# An XLSX is a zip: what it unpacks to is bounded too, before any of it is parsed.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"

Source = str | Path | IO[bytes]


class SheetError(Exception):
    """A file that cannot be read as a table; the message names the file."""


@dataclass
class Sheet:
    name: str
    header: list[str]
    rows: list[list[str]]
    numbers: list[int]  # each row's number in the file, the header being row 1


def read_bytes(source: Source) -> tuple[str, bytes]:
    if isinstance(source, str | Path):
        name = Path(source).name
        try:
            with open(source, "rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise SheetError(f"{name}: cannot be opened ({exc.strerror})") from exc
    else:
        name = Path(getattr(source, "name", None) or "upload").name
        raw = source.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise SheetError(f"{name}: is larger than {MAX_BYTES // (1024 * 1024)} MB")
    return name, raw


def read_sheet(source: Source) -> Sheet:
    name, raw = read_bytes(source)
    rows = _xlsx_rows(name, raw) if raw.startswith(XLSX_MAGIC) else _csv_rows(name, raw)
    rows = [(number, [cell.strip() for cell in row]) for number, row in rows]
    if not rows:
        raise SheetError(f"{name}: is empty; a header row is required")
    (_, header), body = rows[0], [(n, r) for n, r in rows[1:] if any(r)]
    if len(body) > MAX_ROWS:
        raise SheetError(f"{name}: holds more than {MAX_ROWS:,} rows")
    while header and not header[-1] and all(len(r) < len(header) or not r[len(header) - 1] for _, r in body):
        header.pop()
    width = len(header)
    if not width:
        raise SheetError(f"{name}: its first row is empty; a header row is required")
    if width > MAX_COLUMNS:
        raise SheetError(f"{name}: has more than {MAX_COLUMNS:,} columns")
    return Sheet(
        name=name,
        header=header,
        rows=[(r + [""] * width)[:width] for _, r in body],
        numbers=[n for n, _ in body],
    )


def _csv_rows(name: str, raw: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Excel's "CSV" on Windows: UTF-16 with tabs, or the ANSI code page.
            text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise SheetError(f"{name}: is neither UTF-8, UTF-16 nor Windows-1252 text") from exc
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, start = [], 1
    try:
        for row in reader:
            if len(rows) > MAX_ROWS:
                raise SheetError(f"{name}: holds more than {MAX_ROWS:,} rows")
            if len(row) > MAX_COLUMNS:
                raise SheetError(f"{name}: row {start} has more than {MAX_COLUMNS:,} columns")
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise SheetError(f"{name}: row {start}: cannot be read as CSV: {exc}") from exc
    return rows


def _xlsx_rows(name: str, raw: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise SheetError(f"{name}: cannot be read as an XLSX workbook") from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise SheetError(f"{name}: unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB")
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 (openpyxl raises many kinds for a broken file)
        raise SheetError(f"{name}: cannot be read as an XLSX workbook") from exc
    try:
        sheet = book.worksheets[0]
        rows = []
        for number, row in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1):
            if number > MAX_ROWS + 1:
                raise SheetError(f"{name}: holds more than {MAX_ROWS:,} rows")
            rows.append((number, [_text(value) for value in row]))
        return rows
    finally:
        book.close()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
