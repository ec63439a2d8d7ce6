"""Restoring a study archive (analysis.files.archive) as a new study, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction

from analysis.files.archive import (
    BATCH_SIZE,
    STUDY_COLUMNS,
    TABLES,
    TABLES_BY_NAME,
    ArchiveError,
    User,
    ArchiveTable,
    one_line,
)
from surveys.models import Participant, Study
from surveys.pseudonyms import participant_link_hash
from vignettes.models import Vignette



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

    def values(self, table: ArchiveTable, row: dict) -> dict:
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

    def plain(self, table: ArchiveTable) -> None:
        rows = sorted(self.rows(table.name), key=lambda r: r["id"])
        # A batch at a time, so a study of a million answers never holds a million model instances.
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start:start + BATCH_SIZE]
            self.insert(table, batch, [table.model(**self.values(table, row)) for row in batch])

    def insert(self, table: ArchiveTable, rows: list[dict], objects: list[models.Model]) -> None:
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
        raise ArchiveError(f"{source}: the archive does not fit the database: {one_line(exc)}") from exc
