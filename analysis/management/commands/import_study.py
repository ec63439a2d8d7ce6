from django.core.management.base import BaseCommand, CommandError

from analysis.files.archive import ArchiveError, StudyArchive
from analysis.files.study import StudyFileError, load_study_file
from analysis.services.archive import study_archive_restore
from analysis.services.studies import study_import
from surveys.services import ServiceError


class Command(BaseCommand):
    help = (
        "Check a study file (YAML or JSON, SPEC 4.1) and load it in one transaction, "
        "or restore a whole study from an export_study archive with --archive."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the study file")
        parser.add_argument("--archive", help="an archive written by export_study, restored whole")
        parser.add_argument(
            "--drop-ballots",
            action="store_true",
            help="restore an archive even where open rounds' sealed ballots do not open (another BALLOT_KEY)",
        )
        parser.add_argument(
            "--drop-links",
            action="store_true",
            help="restore an archive even where the participant links cannot be re-keyed (another key)",
        )

    def handle(self, *args, path, archive, drop_links, drop_ballots, **options):
        if (path is None) == (archive is None):
            raise CommandError("name either a study file or an --archive")
        if archive is not None:
            self.restore(archive, drop_links=drop_links, drop_ballots=drop_ballots)
            return
        try:
            spec = load_study_file(path)
            study = study_import(spec=spec)
        except StudyFileError as exc:
            raise CommandError("\n".join(exc.errors)) from exc
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        rounds = study.rounds.count()
        self.stdout.write(
            f"Imported study {study.slug!r}: {study.vignettes.count()} vignettes, "
            f"{study.options.count()} options, {len(spec.statements)} statements, {rounds} round(s)."
        )

    def restore(self, archive: str, *, drop_links: bool, drop_ballots: bool) -> None:
        try:
            opened = StudyArchive(archive)
            try:
                restored = study_archive_restore(
                    archive=opened, source=archive, drop_links=drop_links, drop_ballots=drop_ballots
                )
            finally:
                opened.close()
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        counts = restored.counts
        self.stdout.write(
            f"Restored study {restored.study.slug!r}: {counts['rounds']} round(s), {counts['items']} items, "
            f"{counts['participants']} participants, {counts['answers']} answers, "
            f"{counts['users']} accounts ({restored.accounts_kept} already here and kept as they were)."
        )
        linked = restored.links_restored + restored.links_dropped
        if linked:
            self.stdout.write(f"Re-linked {restored.links_restored} of {linked} participants to their accounts.")
        if restored.links_dropped:
            self.stdout.write(
                self.style.WARNING(
                    f"{restored.links_dropped} participants were not re-linked (--drop-links). Their answers, "
                    "tables and exports are intact, but those panelists will not see their earlier answers, "
                    "and one who votes again starts a new pseudonym."
                )
            )
        if restored.ballots_dropped:
            self.stdout.write(
                self.style.WARNING(
                    f"{restored.ballots_dropped} sealed ballot(s) were not restored (--drop-ballots): those "
                    "panelists' drafts and submissions in open or unreleased rounds are gone, and the rounds "
                    "already counted keep their counted answers."
                )
            )
