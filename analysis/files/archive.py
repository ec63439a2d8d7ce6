"""One study as one archive file, for backup and restore: the format, its export and its reading.

The archive is a zip (its CRC-32 per member catches a corrupt or truncated
file before a row is written, and every platform opens it) of:

- `study.yaml`, the study file (SPEC 4.1) of the study as it stands, for a
  reader, and for `import_study PATH` should only the content be wanted;
- `archive.json`, the manifest: ``{"format": ARCHIVE_FORMAT, "version":
  ARCHIVE_VERSION, "exported_at": ..., "study": {...}, "tables": {name:
  {"columns": [...], "rows": n}}}``;
- `tables/<name>.jsonl`, one JSON array per row, in id order.

Rows keep their ids, so references between them can be resolved on
restore. One line per row lets export and restore stream a study of a
million answers through a bounded amount of memory.

Two keys are never written: PARTICIPANT_LINK_KEY, without which the
participant links cannot be re-keyed, and BALLOT_KEY, without which the
open rounds' sealed ballots cannot be opened. The archive, like a database
dump, cannot say whose answers are whose without them
(analysis.services.archive).
"""

from __future__ import annotations

import base64
import json
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.utils import timezone

from analysis.files.study import render_study_file
from analysis.selectors import study_file_data
from surveys.models import (
    Answer,
    AnswerOption,
    AuditEvent,
    Ballot,
    Invitation,
    Item,
    ItemLink,
    ItemOption,
    Membership,
    Participant,
    ProtocolDeviation,
    Round,
    Study,
    Submission,
)
from vignettes.models import Option, Vignette

ARCHIVE_FORMAT = "delphi-study-archive"
ARCHIVE_VERSION = 3
STUDY_FILE_MEMBER = "study.yaml"
MANIFEST_MEMBER = "archive.json"
ROWS_READ_AT_ONCE = 5000

STUDY_COLUMNS = (
    "id", "slug", "title", "description", "scale_min", "scale_max", "scale_neutral",
    "consensus_rule", "consensus_params", "not_recommended_threshold", "minimum_n", "protocol_locked_at",
    "time_zone", "invitation_note",
    "created", "modified",
)


class ArchiveError(Exception):
    """A one-line reason why an archive cannot be read or restored."""


@dataclass(frozen=True)
class ArchiveTable:
    name: str
    model: type[models.Model]
    columns: tuple[str, ...]
    # The rows of this table that belong to the study.
    scope: str = "study"
    # Columns holding the id of a row of another table of the archive.
    refs: dict[str, str] = field(default_factory=dict)
    # Columns of binary data, written as base64.
    binary: tuple[str, ...] = ()

    @property
    def member(self) -> str:
        return f"tables/{self.name}.jsonl"


User = get_user_model()

# In restore order: every table comes after the tables it refers to.
TABLES = (
    ArchiveTable(
        "users", User,
        ("id", "username", "email", "first_name", "last_name", "password", "is_active", "date_joined"),
        scope="",
    ),
    ArchiveTable("vignettes", Vignette, ("id", "code", "title", "text", "base_id", "change", "position"),
                 refs={"base_id": "vignettes"}),
    ArchiveTable("options", Option, ("id", "code", "name", "short", "group", "position")),
    ArchiveTable("option_merges", Option.merged_from.through, ("id", "from_option_id", "to_option_id"),
                 scope="from_option__study", refs={"from_option_id": "options", "to_option_id": "options"}),
    ArchiveTable("rounds", Round,
                 ("id", "number", "kind", "status", "deadline", "opened_at", "closed_at", "results_released_at",
                  "ballot_size", "answers_imported", "panel_count", "submitted_count", "draft_count", "protocol",
                  "reminder_days", "shown")),
    ArchiveTable("items", Item,
                 ("id", "round_id", "code", "type", "text", "vignette_id", "position", "required", "max_choices",
                  "scale_min", "scale_max"),
                 scope="round__study", refs={"round_id": "rounds", "vignette_id": "vignettes"}),
    ArchiveTable("item_options", ItemOption, ("id", "item_id", "option_id", "position"),
                 scope="item__round__study", refs={"item_id": "items", "option_id": "options"}),
    ArchiveTable("item_links", ItemLink, ("id", "parent_id", "child_id", "operation"),
                 scope="child__round__study", refs={"parent_id": "items", "child_id": "items"}),
    ArchiveTable("participants", Participant, ("id", "label", "link_hash")),
    ArchiveTable("answers", Answer,
                 ("id", "participant_id", "item_id", "rating", "scale_min", "scale_max", "text"),
                 scope="participant__study", refs={"participant_id": "participants", "item_id": "items"}),
    ArchiveTable("answer_options", AnswerOption, ("id", "answer_id", "option_id", "rank"),
                 scope="answer__participant__study", refs={"answer_id": "answers", "option_id": "options"}),
    ArchiveTable("submissions", Submission, ("id", "round_id", "participant_id"),
                 scope="participant__study", refs={"round_id": "rounds", "participant_id": "participants"}),
    ArchiveTable("memberships", Membership, ("id", "user_id", "role", "is_active", "created", "modified"),
                 refs={"user_id": "users"}),
    ArchiveTable("ballots", Ballot, ("id", "round_id", "membership_id", "status", "sealed"),
                 scope="round__study", refs={"round_id": "rounds", "membership_id": "memberships"},
                 binary=("sealed",)),
    ArchiveTable("invitations", Invitation,
                 ("id", "email", "role", "membership_id", "token_hash", "expires_at", "sent_at", "send_error",
                  "send_attempts", "retry_at", "used_at", "revoked_at", "invited_by_id", "created", "modified"),
                 refs={"membership_id": "memberships", "invited_by_id": "users"}),
    ArchiveTable("protocol_deviations", ProtocolDeviation, ("id", "made_at", "made_by_id", "reason", "changes"),
                 refs={"made_by_id": "users"}),
    ArchiveTable("audit_events", AuditEvent, ("id", "actor_id", "action", "summary", "detail", "created"),
                 refs={"actor_id": "users"}),
)
TABLES_BY_NAME = {table.name: table for table in TABLES}


# -- export ------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _scoped(table: ArchiveTable, study: Study, user_ids: set[int]) -> models.QuerySet:
    if table.name == "users":
        return User.objects.filter(pk__in=user_ids)
    return table.model.objects.filter(**{table.scope: study})


def _people(study: Study) -> set[int]:
    """The people of the study: its members, and whoever acted on it or invited to it, so the history keeps its names."""
    return (
        set(Membership.objects.filter(study=study).values_list("user_id", flat=True))
        | set(AuditEvent.objects.filter(study=study, actor__isnull=False).values_list("actor_id", flat=True))
        | set(Invitation.objects.filter(study=study, invited_by__isnull=False).values_list("invited_by_id", flat=True))
        | set(study.deviations.filter(made_by__isnull=False).values_list("made_by_id", flat=True))
    )


def _write(study: Study, file: IO[bytes]) -> dict[str, int]:
    user_ids = _people(study)
    counts = {}
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        archive.writestr(STUDY_FILE_MEMBER, render_study_file(study_file_data(study=study)))
        for table in TABLES:
            rows = _scoped(table, study, user_ids).order_by("pk").values_list(*table.columns)
            counts[table.name] = 0
            with archive.open(table.member, "w", force_zip64=True) as member:
                for row in rows.iterator(chunk_size=ROWS_READ_AT_ONCE):
                    line = json.dumps([_plain(value) for value in row], ensure_ascii=False, separators=(",", ":"))
                    member.write(line.encode() + b"\n")
                    counts[table.name] += 1
        (study_row,) = Study.objects.filter(pk=study.pk).values_list(*STUDY_COLUMNS)
        manifest = {
            "format": ARCHIVE_FORMAT,
            "version": ARCHIVE_VERSION,
            "exported_at": timezone.now().isoformat(),
            "study": dict(zip(STUDY_COLUMNS, [_plain(value) for value in study_row], strict=True)),
            "tables": {table.name: {"columns": list(table.columns), "rows": counts[table.name]} for table in TABLES},
        }
        archive.writestr(MANIFEST_MEMBER, json.dumps(manifest, ensure_ascii=False, indent=1))
    return counts


def study_archive_export(*, study: Study, file: IO[bytes]) -> dict[str, int]:
    """Writes the study's archive into `file` (opened for binary writing); returns the rows per table."""
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if snapshot:
            # One snapshot for every table, so a vote cast during the export
            # cannot appear as a ballot without its round's state. (Inside a
            # caller's transaction, that transaction's snapshot rules.)
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _write(study, file)


# -- reading -------------------------------------------------------------------------


class StudyArchive:
    """An archive opened for reading: its checked manifest, and each table's rows as a stream."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.zip = zipfile.ZipFile(self.path)
            raw = self.zip.read(MANIFEST_MEMBER)
        except FileNotFoundError as exc:
            raise ArchiveError(f"{self.path}: cannot be read: no such file") from exc
        except OSError as exc:
            raise ArchiveError(f"{self.path}: cannot be read: {exc.strerror or exc}") from exc
        except KeyError as exc:
            raise ArchiveError(f"{self.path}: not a study archive: it holds no {MANIFEST_MEMBER}") from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise ArchiveError(f"{self.path}: corrupt or truncated archive ({one_line(exc)})") from exc
        try:
            self.manifest = json.loads(raw.decode("utf-8"))
        # ValueError: a whole number of more than 4,300 digits, which json.loads refuses without a JSONDecodeError.
        except (UnicodeDecodeError, ValueError) as exc:
            raise ArchiveError(f"{self.path}: {MANIFEST_MEMBER} is not valid JSON ({one_line(exc)})") from exc
        self._check_manifest()

    def _check_manifest(self) -> None:
        manifest = self.manifest
        if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT:
            raise ArchiveError(f"{self.path}: not a study archive (format is not {ARCHIVE_FORMAT!r})")
        version = manifest.get("version")
        if version != ARCHIVE_VERSION:
            raise ArchiveError(
                f"{self.path}: archive version {version!r} cannot be read; "
                f"this platform reads version {ARCHIVE_VERSION}"
            )
        study = manifest.get("study")
        if not isinstance(study, dict) or set(study) != set(STUDY_COLUMNS):
            raise ArchiveError(f"{self.path}: the study record is missing or incomplete")
        tables = manifest.get("tables")
        if not isinstance(tables, dict) or set(tables) != set(TABLES_BY_NAME):
            raise ArchiveError(f"{self.path}: the archive must hold the tables {', '.join(TABLES_BY_NAME)}")
        names = set(self.zip.namelist())
        for table in TABLES:
            content = tables[table.name]
            if not isinstance(content, dict) or content.get("columns") != list(table.columns):
                raise ArchiveError(f"{self.path}: table {table.name}: columns must be {', '.join(table.columns)}")
            if not isinstance(content.get("rows"), int) or table.member not in names:
                raise ArchiveError(f"{self.path}: table {table.name}: its rows are missing")

    @property
    def study(self) -> dict:
        return self.manifest["study"]

    def count(self, name: str) -> int:
        return self.manifest["tables"][name]["rows"]

    def rows(self, table: ArchiveTable) -> Iterator[dict]:
        """The table's rows as {column: value}, binary columns decoded, one line at a time."""
        width = len(table.columns)
        try:
            yield from self._rows(table, width)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            # A member's CRC is checked as its end is read: a restore stops, and its transaction undoes it.
            raise ArchiveError(f"table {table.name}: corrupt or truncated archive ({one_line(exc)})") from exc

    def _rows(self, table: ArchiveTable, width: int) -> Iterator[dict]:
        with self.zip.open(table.member) as member:
            for number, line in enumerate(member, start=1):
                try:
                    row = json.loads(line)
                except (UnicodeDecodeError, ValueError) as exc:
                    raise ArchiveError(f"table {table.name}: line {number} is not valid JSON ({one_line(exc)})") from exc
                if not isinstance(row, list) or len(row) != width or not isinstance(row[0], int):
                    raise ArchiveError(f"table {table.name}: line {number} does not match the columns")
                values = dict(zip(table.columns, row, strict=True))
                for column in table.binary:
                    try:
                        values[column] = base64.b64decode(values[column], validate=True)
                    except (TypeError, ValueError) as exc:
                        raise ArchiveError(f"table {table.name}: line {number}: {column} is not base64") from exc
                yield values

    def close(self) -> None:
        self.zip.close()


def one_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
