"""Restoring a study archive (analysis.files.archive) as a new study, in one transaction.

Every table is read a line at a time. The small tables go through the ORM;
the pseudonymous tables, which hold a row per answer, are written with ids
reserved in advance (surveys.bulk), so the map from each archived id to its
new one is a sorted pair of arrays, not a million model instances.

Two things depend on keys the archive does not hold:

- A participant link is HMAC(PARTICIPANT_LINK_KEY, study id, user id). For
  every archived person the hash under the old ids is computed with today's
  key: where it equals an archived participant's link, that participant gets
  the hash of the new ids. Under another key nothing matches.
- A sealed ballot opens only under BALLOT_KEY for its round and membership,
  so each is opened with the archived ids and sealed again for the new ones.
  Under another key none opens.

Either refuses the restore, unless the operator says to drop what cannot be
kept (`drop_links`, `drop_ballots`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction

from analysis.files.archive import (
    STUDY_COLUMNS,
    TABLES_BY_NAME,
    ArchiveError,
    ArchiveTable,
    StudyArchive,
    User,
    one_line,
)
from analysis.services.figures import round_figures_refresh
from surveys import ballot
from surveys.bulk import ids_reserve, rows_insert, statistics_refresh
from surveys.models import Answer, AnswerOption, Participant, Study, Submission
from surveys.pseudonyms import participant_link_hash
from vignettes.models import Vignette

BATCH_SIZE = 1000
# The pseudonymous tables: written with reserved ids, their references mapped by arrays.
FAST_TABLES = ("answers", "answer_options", "submissions")


@dataclass(frozen=True)
class Restored:
    study: Study
    counts: dict[str, int]
    accounts_kept: int
    links_restored: int
    links_dropped: int
    ballots_restored: int
    ballots_dropped: int


class _IdMap:
    """Archived id -> new id for one table, as two sorted arrays."""

    def __init__(self, old: np.ndarray, new: np.ndarray):
        order = np.argsort(old)
        self.old, self.new = old[order], new[order]

    def __len__(self) -> int:
        return len(self.old)

    def __getitem__(self, value: int) -> int:
        at = np.searchsorted(self.old, value)
        if at >= len(self.old) or self.old[at] != value:
            raise KeyError(value)
        return int(self.new[at])

    def __contains__(self, value) -> bool:
        try:
            self[value]
        except KeyError:
            return False
        return True

    def items(self):
        return zip(self.old.tolist(), self.new.tolist())


class _Restorer:
    """Writes the rows of one archive, keeping the map from each archived id to the new one."""

    def __init__(self, archive: StudyArchive, *, drop_links: bool, drop_ballots: bool):
        self.archive = archive
        self.drop_links = drop_links
        self.drop_ballots = drop_ballots
        self.ids: dict[str, dict[int, int] | _IdMap] = {name: {} for name in TABLES_BY_NAME}
        self.study: Study | None = None

    def reference(self, table: ArchiveTable, row: dict, column: str):
        value = row[column]
        if value is None:
            return None
        try:
            return self.ids[table.refs[column]][value]
        except (KeyError, TypeError):
            raise ArchiveError(
                f"table {table.name}: row {row['id']}: {column} {value!r} is not in {table.refs[column]}"
            ) from None

    def values(self, table: ArchiveTable, row: dict) -> dict:
        """The row as model field values: references mapped to the new ids, the rest checked by the field."""
        values = {}
        for column in table.columns[1:]:
            if column in table.refs:
                values[column] = self.reference(table, row, column)
                continue
            try:
                values[column] = table.model._meta.get_field(column).to_python(row[column])
            except ValidationError as exc:
                raise ArchiveError(f"table {table.name}: row {row['id']}: {column}: {' '.join(exc.messages)}") from exc
        if any(f.name == "study" for f in table.model._meta.concrete_fields):
            values["study"] = self.study
        return values

    def restore(self) -> Restored:
        slug = self.archive.study["slug"]
        if Study.objects.filter(slug=slug).exists():
            raise ArchiveError(f"a study {slug!r} already exists; delete it or restore into another database")
        kept = self.users()
        self.study_restore()
        self.vignettes()
        for name in ("options", "option_merges", "rounds", "items", "item_options", "item_links"):
            self.plain(TABLES_BY_NAME[name])
        links_restored, links_dropped = self.participants()
        for name in FAST_TABLES:
            self.fast(TABLES_BY_NAME[name])
        self.plain(TABLES_BY_NAME["memberships"])
        ballots_restored, ballots_dropped = self.ballots()
        for name in ("invitations", "protocol_deviations", "audit_events"):
            self.plain(TABLES_BY_NAME[name])
        statistics_refresh((Answer, AnswerOption, Submission, Participant))
        round_figures_refresh(study=self.study)
        return Restored(
            study=self.study,
            counts={name: len(ids) for name, ids in self.ids.items()},
            accounts_kept=kept,
            links_restored=links_restored,
            links_dropped=links_dropped,
            ballots_restored=ballots_restored,
            ballots_dropped=ballots_dropped,
        )

    def users(self) -> int:
        """Accounts by user name and email: a person who already has one keeps it as it is, password and all.

        The same user name under another email may be another person, who
        would be handed the archived person's memberships and pseudonyms:
        such a restore is refused rather than guessed at.
        """
        table = TABLES_BY_NAME["users"]
        rows = list(self.archive.rows(table))
        names = [row["username"] for row in rows]
        here = {
            username: (pk, email)
            for username, pk, email in User.objects.filter(username__in=names).values_list("username", "pk", "email")
        }
        clashes = sorted(
            row["username"]
            for row in rows
            if row["username"] in here and here[row["username"]][1].casefold() != (row["email"] or "").casefold()
        )
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
        row = self.archive.study
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
        rows = {row["id"]: row for row in self.archive.rows(table)}
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

    def plain(self, table: ArchiveTable, rows=None) -> None:
        """A table through the ORM, a batch at a time, in the archived order."""
        batch: list[dict] = []
        for row in rows if rows is not None else self.archive.rows(table):
            batch.append(row)
            if len(batch) == BATCH_SIZE:
                self.insert(table, batch, [table.model(**self.values(table, r)) for r in batch])
                batch = []
        if batch:
            self.insert(table, batch, [table.model(**self.values(table, r)) for r in batch])

    def insert(self, table: ArchiveTable, rows: list[dict], objects: list[models.Model]) -> None:
        created = table.model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        self.ids[table.name].update((row["id"], obj.pk) for row, obj in zip(rows, created, strict=True))
        stamped = [
            f.name
            for f in table.model._meta.concrete_fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        if stamped and created:
            # auto_now fields take the time of saving; bulk_update keeps the archived ones.
            for row, obj in zip(rows, created, strict=True):
                for name in stamped:
                    setattr(obj, name, table.model._meta.get_field(name).to_python(row[name]))
            table.model.objects.bulk_update(created, stamped, batch_size=BATCH_SIZE)

    def fast(self, table: ArchiveTable) -> None:
        """A pseudonymous table with reserved ids and its references mapped in bulk."""
        new_ids = iter(ids_reserve(table.model, self.archive.count(table.name)))
        old, new = [], []
        fields = table.columns

        def rows():
            for row in self.archive.rows(table):
                pk = next(new_ids, None)
                if pk is None:
                    raise ArchiveError(f"table {table.name}: more rows than the manifest counts")
                values = [pk]
                for column in fields[1:]:
                    value = self.reference(table, row, column) if column in table.refs else row[column]
                    values.append(value)
                old.append(row["id"])
                new.append(pk)
                yield values

        rows_insert(table.model, ("id", *[column.removesuffix("_id") for column in fields[1:]]), rows())
        self.ids[table.name] = _IdMap(np.array(old, dtype=np.int64), np.array(new, dtype=np.int64))

    def participants(self) -> tuple[int, int]:
        """Re-keys each link the current key reproduces from the archived ids; refuses or drops the others."""
        old_study = self.archive.study["id"]
        rekeyed = {
            participant_link_hash(study_id=old_study, user_id=old_user): participant_link_hash(
                study_id=self.study.pk, user_id=new_user
            )
            for old_user, new_user in self.ids["users"].items()
        }
        table = TABLES_BY_NAME["participants"]
        rows, restored, dropped = [], 0, 0
        for row in self.archive.rows(table):
            if row["link_hash"]:
                row = {**row, "link_hash": rekeyed.get(row["link_hash"])}
                restored += row["link_hash"] is not None
                dropped += row["link_hash"] is None
            rows.append(row)
        if dropped and not self.drop_links:
            # Restored without its link, a panelist who votes again gets a
            # second pseudonym, splitting their answers across rounds.
            raise ArchiveError(
                f"{dropped} of {restored + dropped} participants cannot be re-linked to their accounts: "
                "PARTICIPANT_LINK_KEY is not the key the archive was made under, or their accounts are not "
                "in it; restore under that key, or pass --drop-links to restore without those links"
            )
        self.plain(table, rows)
        return restored, dropped

    def ballot_answer(self, row: dict, answer: ballot.AnswerInput) -> ballot.AnswerInput:
        """An answer of a sealed ballot with its item and options renamed to their new ids."""
        return ballot.AnswerInput(
            item_id=_renamed(self.ids["items"], answer.item_id, "item", row),
            rating=answer.rating,
            text=answer.text,
            options=tuple((_renamed(self.ids["options"], o, "option", row), rank) for o, rank in answer.options),
        )

    def ballots(self) -> tuple[int, int]:
        """Each sealed ballot opened for its archived round and membership, and sealed for the new ones."""
        table = TABLES_BY_NAME["ballots"]
        sizes = dict(self.study.rounds.values_list("pk", "ballot_size"))
        rows, dropped = [], 0
        for row in self.archive.rows(table):
            try:
                answers = ballot.unseal(sealed=row["sealed"], round_id=row["round_id"], membership_id=row["membership_id"])
            except ballot.BallotUnreadable:
                dropped += 1
                continue
            round_id = self.reference(table, row, "round_id")
            membership_id = self.reference(table, row, "membership_id")
            sealed = ballot.seal(
                answers=[self.ballot_answer(row, answer) for answer in answers],
                round_id=round_id,
                membership_id=membership_id,
                size=sizes[round_id],
            )
            rows.append({**row, "sealed": sealed})
        if dropped and not self.drop_ballots:
            raise ArchiveError(
                f"{dropped} sealed ballot(s) of open or unreleased rounds do not open: BALLOT_KEY is not the key "
                "the archive was made under; restore under that key, or pass --drop-ballots to restore without them"
            )
        self.plain(table, rows)
        return len(rows), dropped


def _renamed(ids: dict, value: int, what: str, row: dict) -> int:
    try:
        return ids[value]
    except KeyError:
        raise ArchiveError(f"table ballots: row {row['id']}: a ballot answers {what} {value!r}, not in the archive") from None


def study_archive_restore(
    *, archive: StudyArchive, source: str = "archive", drop_links: bool = False, drop_ballots: bool = False
) -> Restored:
    """Writes an opened archive as a new study in one transaction; ArchiveError and nothing written if it does not fit."""
    try:
        with transaction.atomic():
            return _Restorer(archive, drop_links=drop_links, drop_ballots=drop_ballots).restore()
    except ArchiveError as exc:
        raise ArchiveError(f"{source}: {exc}") from exc
    except (DatabaseError, ValidationError, ValueError, TypeError, KeyError) as exc:
        raise ArchiveError(f"{source}: the archive does not fit the database: {one_line(exc)}") from exc
