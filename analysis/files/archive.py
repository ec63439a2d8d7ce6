"""One study as one archive file, for backup and restore: the format, its export and its reading.

The archive is a zip of two members:

- `study.yaml`, the study file (SPEC 4.1) of the study as it stands, for a
  reader and for `import_study PATH` should only the content be wanted;
- `records.json`, a versioned document holding every row of the study:
  ``{"format": ARCHIVE_FORMAT, "version": ARCHIVE_VERSION, "study": {...},
  "tables": {name: {"columns": [...], "rows": [[...], ...]}}}``. Rows keep
  their primary keys, so references between them can be resolved on
  restore; columns and rows rather than one object per row keep a study of
  a million answers to a size a zip handles well.

A zip, because its CRC-32 per member catches a corrupt or truncated file
before anything is read, and every platform opens it.

The participant link (SPEC 5) is a keyed hash of the study id and the user
id. Both ids change on restore, so `analysis.services.archive` re-keys each link
it can reproduce under the current PARTICIPANT_LINK_KEY and drops the rest.
The key itself is never written to the archive: the archive, like a
database dump, cannot say whose answers are whose without it.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.utils import timezone

from surveys.models import (
    Answer,
    AnswerOption,
    AuditEvent,
    Invitation,
    Item,
    ItemLink,
    ItemOption,
    Membership,
    Participant,
    Round,
    RoundCompletion,
    Study,
    Submission,
)
from analysis.files.study import render_study_file
from analysis.selectors import study_file_data
from vignettes.models import Option, Vignette

ARCHIVE_FORMAT = "delphi-study-archive"
ARCHIVE_VERSION = 1
STUDY_FILE_MEMBER = "study.yaml"
RECORDS_MEMBER = "records.json"
BATCH_SIZE = 1000

STUDY_COLUMNS = (
    "id", "slug", "title", "description", "scale_min", "scale_max", "scale_neutral",
    "consensus_rule", "consensus_params", "not_recommended_threshold", "created", "modified",
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
           ("id", "number", "kind", "status", "deadline", "opened_at", "closed_at", "results_released_at")),
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
           ("id", "participant_id", "item_id", "rating", "scale_min", "scale_max", "text", "answered_on"),
           scope="participant__study", refs={"participant_id": "participants", "item_id": "items"}),
    ArchiveTable("answer_options", AnswerOption, ("id", "answer_id", "option_id", "rank"),
           scope="answer__participant__study", refs={"answer_id": "answers", "option_id": "options"}),
    ArchiveTable("submissions", Submission, ("id", "round_id", "participant_id", "submitted_on"),
           scope="participant__study", refs={"round_id": "rounds", "participant_id": "participants"}),
    ArchiveTable("memberships", Membership, ("id", "user_id", "role", "created", "modified"), refs={"user_id": "users"}),
    ArchiveTable("round_completions", RoundCompletion, ("id", "round_id", "membership_id", "status", "updated_on"),
           scope="round__study", refs={"round_id": "rounds", "membership_id": "memberships"}),
    ArchiveTable("invitations", Invitation,
           ("id", "email", "role", "membership_id", "token_hash", "expires_at", "used_at", "revoked_at",
            "invited_by_id", "created", "modified"),
           refs={"membership_id": "memberships", "invited_by_id": "users"}),
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
    return value


def _rows(queryset: models.QuerySet, columns: tuple[str, ...]) -> list[list]:
    return [[_plain(value) for value in row] for row in queryset.order_by("pk").values_list(*columns)]


def study_archive_records(*, study: Study) -> dict:
    """Every row of the study, ids included, as the `records.json` document."""
    tables = {}
    for table in TABLES:
        if table.name == "users":
            continue
        tables[table.name] = {
            "columns": list(table.columns),
            "rows": _rows(table.model.objects.filter(**{table.scope: study}), table.columns),
        }
    # The people of the study: its members, and whoever acted on it or
    # invited to it since, so the audit trail keeps its names.
    user_ids = set()
    for name, column in (("memberships", "user_id"), ("audit_events", "actor_id"), ("invitations", "invited_by_id")):
        at = TABLES_BY_NAME[name].columns.index(column)
        user_ids |= {row[at] for row in tables[name]["rows"] if row[at] is not None}
    users = TABLES_BY_NAME["users"]
    tables = {
        "users": {"columns": list(users.columns), "rows": _rows(User.objects.filter(pk__in=user_ids), users.columns)},
        **tables,
    }
    (study_row,) = _rows(Study.objects.filter(pk=study.pk), STUDY_COLUMNS)
    return {
        "format": ARCHIVE_FORMAT,
        "version": ARCHIVE_VERSION,
        "exported_at": timezone.now().isoformat(),
        "study": dict(zip(STUDY_COLUMNS, study_row, strict=True)),
        "tables": tables,
    }


def study_archive_export(*, study: Study) -> bytes:
    """The archive of the study as the bytes of a zip file."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # One snapshot for every table, so a vote cast during the export
        # cannot appear as an answer without its options.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return _archive_bytes(study)
    with transaction.atomic():
        return _archive_bytes(study)


def _archive_bytes(study: Study) -> bytes:
    records = study_archive_records(study=study)
    study_file = render_study_file(study_file_data(study=study))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(STUDY_FILE_MEMBER, study_file)
        archive.writestr(RECORDS_MEMBER, json.dumps(records, ensure_ascii=False, separators=(",", ":")))
    return buffer.getvalue()


# -- reading -------------------------------------------------------------------------


def study_archive_read(path: str | Path) -> dict:
    """The checked `records.json` of an archive; ArchiveError if it is unreadable or of another version."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            raw = archive.read(RECORDS_MEMBER)
    except FileNotFoundError as exc:
        raise ArchiveError(f"{path}: cannot be read: no such file") from exc
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    except KeyError as exc:
        raise ArchiveError(f"{path}: not a study archive: it holds no {RECORDS_MEMBER}") from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise ArchiveError(f"{path}: corrupt or truncated archive ({one_line(exc)})") from exc
    try:
        records = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArchiveError(f"{path}: {RECORDS_MEMBER} is not valid JSON ({one_line(exc)})") from exc
    _check_shape(records, path)
    return records


def _check_shape(records, path: Path) -> None:
    if not isinstance(records, dict) or records.get("format") != ARCHIVE_FORMAT:
        raise ArchiveError(f"{path}: not a study archive (format is not {ARCHIVE_FORMAT!r})")
    version = records.get("version")
    if version != ARCHIVE_VERSION:
        raise ArchiveError(
            f"{path}: archive version {version!r} cannot be read; this platform reads version {ARCHIVE_VERSION}"
        )
    study = records.get("study")
    if not isinstance(study, dict) or set(study) != set(STUDY_COLUMNS):
        raise ArchiveError(f"{path}: the study record is missing or incomplete")
    tables = records.get("tables")
    if not isinstance(tables, dict) or set(tables) != set(TABLES_BY_NAME):
        raise ArchiveError(f"{path}: the archive must hold the tables {', '.join(TABLES_BY_NAME)}")
    for table in TABLES:
        content = tables[table.name]
        if not isinstance(content, dict) or content.get("columns") != list(table.columns):
            raise ArchiveError(f"{path}: table {table.name}: columns must be {', '.join(table.columns)}")
        rows = content.get("rows")
        if not isinstance(rows, list):
            raise ArchiveError(f"{path}: table {table.name}: rows must be a list")
        for number, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != len(table.columns) or not isinstance(row[0], int):
                raise ArchiveError(f"{path}: table {table.name}: row {number} does not match the columns")


def one_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
