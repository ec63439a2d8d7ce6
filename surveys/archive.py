"""One study as one archive file, for backup and restore (issue 6).

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
id. Both ids change on restore, so `study_archive_restore` re-keys each link
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
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction
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
from surveys.selectors import study_file_data
from surveys.services import participant_link_hash
from surveys.studyfile import render_study_file
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
class _Table:
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
    _Table(
        "users", User,
        ("id", "username", "email", "first_name", "last_name", "password", "is_active", "date_joined"),
        scope="",
    ),
    _Table("vignettes", Vignette, ("id", "code", "title", "text", "base_id", "change", "position"),
           refs={"base_id": "vignettes"}),
    _Table("options", Option, ("id", "code", "name", "short", "group", "position")),
    _Table("option_merges", Option.merged_from.through, ("id", "from_option_id", "to_option_id"),
           scope="from_option__study", refs={"from_option_id": "options", "to_option_id": "options"}),
    _Table("rounds", Round,
           ("id", "number", "kind", "status", "deadline", "opened_at", "closed_at", "results_released_at")),
    _Table("items", Item,
           ("id", "round_id", "code", "type", "text", "vignette_id", "position", "required", "max_choices",
            "scale_min", "scale_max"),
           scope="round__study", refs={"round_id": "rounds", "vignette_id": "vignettes"}),
    _Table("item_options", ItemOption, ("id", "item_id", "option_id", "position"),
           scope="item__round__study", refs={"item_id": "items", "option_id": "options"}),
    _Table("item_links", ItemLink, ("id", "parent_id", "child_id", "operation"),
           scope="child__round__study", refs={"parent_id": "items", "child_id": "items"}),
    _Table("participants", Participant, ("id", "label", "link_hash")),
    _Table("answers", Answer,
           ("id", "participant_id", "item_id", "rating", "scale_min", "scale_max", "text", "answered_on"),
           scope="participant__study", refs={"participant_id": "participants", "item_id": "items"}),
    _Table("answer_options", AnswerOption, ("id", "answer_id", "option_id", "rank"),
           scope="answer__participant__study", refs={"answer_id": "answers", "option_id": "options"}),
    _Table("submissions", Submission, ("id", "round_id", "participant_id", "submitted_on"),
           scope="participant__study", refs={"round_id": "rounds", "participant_id": "participants"}),
    _Table("memberships", Membership, ("id", "user_id", "role", "created", "modified"), refs={"user_id": "users"}),
    _Table("round_completions", RoundCompletion, ("id", "round_id", "membership_id", "status", "updated_on"),
           scope="round__study", refs={"round_id": "rounds", "membership_id": "memberships"}),
    _Table("invitations", Invitation,
           ("id", "email", "role", "membership_id", "token_hash", "expires_at", "used_at", "revoked_at",
            "invited_by_id", "created", "modified"),
           refs={"membership_id": "memberships", "invited_by_id": "users"}),
    _Table("audit_events", AuditEvent, ("id", "actor_id", "action", "summary", "detail", "created"),
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
        raise ArchiveError(f"{path}: corrupt or truncated archive ({_one_line(exc)})") from exc
    try:
        records = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArchiveError(f"{path}: {RECORDS_MEMBER} is not valid JSON ({_one_line(exc)})") from exc
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


def _one_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- restore -------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    study: Study
    counts: dict[str, int]
    accounts_kept: int
    links_restored: int
    links_dropped: int


class _Restorer:
    """Writes the rows of one archive, keeping the map from each archived id to the new one."""

    def __init__(self, records: dict, *, drop_links: bool):
        self.records = records
        self.drop_links = drop_links
        self.ids: dict[str, dict[int, int]] = {table.name: {} for table in TABLES}
        self.study: Study | None = None

    def rows(self, name: str) -> list[dict]:
        content = self.records["tables"][name]
        return [dict(zip(content["columns"], row, strict=True)) for row in content["rows"]]

    def values(self, table: _Table, row: dict) -> dict:
        """The row as model field values: references mapped to the new ids, the rest checked by the field."""
        values = {}
        for column in table.columns[1:]:
            value = row[column]
            if column in table.refs:
                if value is not None:
                    target = self.ids[table.refs[column]]
                    if value not in target:
                        raise ArchiveError(
                            f"table {table.name}: row {row['id']}: {column} {value!r} is not in {table.refs[column]}"
                        )
                    value = target[value]
            else:
                try:
                    value = table.model._meta.get_field(column).to_python(value)
                except ValidationError as exc:
                    raise ArchiveError(
                        f"table {table.name}: row {row['id']}: {column}: {' '.join(exc.messages)}"
                    ) from exc
            values[column] = value
        if any(f.name == "study" for f in table.model._meta.concrete_fields):
            values["study"] = self.study
        return values

    def restore(self) -> Restored:
        slug = self.records["study"]["slug"]
        if Study.objects.filter(slug=slug).exists():
            raise ArchiveError(f"a study {slug!r} already exists; delete it or restore into another database")
        kept = self.users()
        self.study_restore()
        self.vignettes()
        for name in ("options", "option_merges", "rounds", "items", "item_options", "item_links"):
            self.plain(TABLES_BY_NAME[name])
        restored, dropped = self.participants()
        for name in ("answers", "answer_options", "submissions", "memberships", "round_completions",
                     "invitations", "audit_events"):
            self.plain(TABLES_BY_NAME[name])
        counts = {name: len(self.ids[name]) for name in self.ids}
        return Restored(study=self.study, counts=counts, accounts_kept=kept, links_restored=restored,
                        links_dropped=dropped)

    def users(self) -> int:
        """Accounts by user name and email: a person who already has one keeps it as it is, password and all.

        The same user name under another email may be another person, who
        would be handed the archived person's memberships and pseudonyms:
        such a restore is refused rather than guessed at.
        """
        table = TABLES_BY_NAME["users"]
        rows = self.rows("users")
        names = [row["username"] for row in rows]
        here = {username: (pk, email) for username, pk, email in
                User.objects.filter(username__in=names).values_list("username", "pk", "email")}
        clashes = sorted(row["username"] for row in rows if row["username"] in here
                         and here[row["username"]][1].casefold() != (row["email"] or "").casefold())
        if clashes:
            raise ArchiveError(
                f"accounts {', '.join(map(repr, clashes))} exist here with another email; they may be other "
                "people, so rename them or restore into a database without them"
            )
        existing = {username: pk for username, (pk, _email) in here.items()}
        new_rows = [row for row in rows if row["username"] not in existing]
        created = User.objects.bulk_create(User(**self.values(table, row)) for row in new_rows)
        pks = {**existing, **{user.username: user.pk for user in created}}
        self.ids["users"] = {row["id"]: pks[row["username"]] for row in rows}
        return len(rows) - len(new_rows)

    def study_restore(self) -> None:
        row = self.records["study"]
        values = {}
        for column in STUDY_COLUMNS[1:]:
            try:
                values[column] = Study._meta.get_field(column).to_python(row[column])
            except ValidationError as exc:
                raise ArchiveError(f"study: {column}: {' '.join(exc.messages)}") from exc
        self.study = Study.objects.create(**values)
        # auto_now fields take the time of saving; update() keeps the archived ones.
        Study.objects.filter(pk=self.study.pk).update(created=values["created"], modified=values["modified"])
        self.study.refresh_from_db()

    def vignettes(self) -> None:
        """One by one in the archived order, a base before its variations, so new ids keep the old order."""
        table = TABLES_BY_NAME["vignettes"]
        rows = {row["id"]: row for row in self.rows("vignettes")}
        new = self.ids["vignettes"]

        def create(row: dict, chain: tuple[int, ...] = ()) -> None:
            if row["id"] in new:
                return
            base = row["base_id"]
            if base is not None:
                if base not in rows or base in chain:
                    raise ArchiveError(f"table vignettes: row {row['id']}: base_id {base!r} is not a vignette")
                create(rows[base], (*chain, row["id"]))
            new[row["id"]] = Vignette.objects.create(**self.values(table, row)).pk

        for row in sorted(rows.values(), key=lambda r: r["id"]):
            create(row)

    def plain(self, table: _Table) -> None:
        rows = sorted(self.rows(table.name), key=lambda r: r["id"])
        # A batch at a time, so a study of a million answers never holds a million model instances.
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start:start + BATCH_SIZE]
            self.insert(table, batch, [table.model(**self.values(table, row)) for row in batch])

    def insert(self, table: _Table, rows: list[dict], objects: list[models.Model]) -> None:
        created = table.model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        self.ids[table.name].update((row["id"], obj.pk) for row, obj in zip(rows, created, strict=True))
        stamped = [f.name for f in table.model._meta.concrete_fields if getattr(f, "auto_now", False)
                   or getattr(f, "auto_now_add", False)]
        if stamped and created:
            # auto_now fields take the time of saving; bulk_update keeps the archived ones.
            for row, obj in zip(rows, created, strict=True):
                for name in stamped:
                    setattr(obj, name, table.model._meta.get_field(name).to_python(row[name]))
            table.model.objects.bulk_update(created, stamped, batch_size=BATCH_SIZE)

    def participants(self) -> tuple[int, int]:
        """Re-keys each link the current key reproduces from the archived ids; drops the others.

        A link is HMAC(key, study id, user id). For every archived person the
        hash under the old ids is computed with today's key: where it equals
        an archived participant's link, that participant gets the hash of the
        new ids. Under another key nothing matches and the links are dropped,
        so the archive alone never joins a person to their answers.
        """
        old_study = self.records["study"]["id"]
        rekeyed = {
            participant_link_hash(study_id=old_study, user_id=old_user): participant_link_hash(
                study_id=self.study.pk, user_id=new_user
            )
            for old_user, new_user in self.ids["users"].items()
        }
        table = TABLES_BY_NAME["participants"]
        rows = sorted(self.rows("participants"), key=lambda r: r["id"])
        objects, restored, dropped = [], 0, 0
        for row in rows:
            values = self.values(table, row)
            if values["link_hash"]:
                values["link_hash"] = rekeyed.get(values["link_hash"])
                restored += values["link_hash"] is not None
                dropped += values["link_hash"] is None
            objects.append(Participant(**values))
        if dropped and not self.drop_links:
            # Restored without its link, a panelist who votes again gets a
            # second pseudonym, splitting their answers across rounds.
            raise ArchiveError(
                f"{dropped} of {restored + dropped} participants cannot be re-linked to their accounts: "
                "PARTICIPANT_LINK_KEY is not the key the archive was made under, or their accounts are not "
                "in it; restore under that key, or pass --drop-links to restore without those links"
            )
        self.insert(table, rows, objects)
        return restored, dropped


def study_archive_restore(*, records: dict, source: str = "archive", drop_links: bool = False) -> Restored:
    """Writes a read archive as a new study in one transaction; ArchiveError and nothing written if it does not fit.

    Participant links that the current key cannot reproduce refuse the
    restore, unless `drop_links` says to restore without them.
    """
    try:
        with transaction.atomic():
            return _Restorer(records, drop_links=drop_links).restore()
    except ArchiveError as exc:
        raise ArchiveError(f"{source}: {exc}") from exc
    except (DatabaseError, ValidationError, ValueError, TypeError, KeyError) as exc:
        raise ArchiveError(f"{source}: the archive does not fit the database: {_one_line(exc)}") from exc
