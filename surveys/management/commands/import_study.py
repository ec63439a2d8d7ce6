from django.core.management.base import BaseCommand, CommandError

from surveys.archive import ArchiveError, study_archive_read, study_archive_restore
from surveys.services import study_import
from surveys.studyfile import StudyFileError, load_study_file


class Command(BaseCommand):
    help = (
        "Check a study file (YAML or JSON, SPEC 4.1) and load it in one transaction, "
        "or restore a whole study from an export_study archive with --archive."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the study file")
        parser.add_argument("--archive", help="an archive written by export_study, restored whole")

    def handle(self, *args, path, archive, **options):
        if (path is None) == (archive is None):
            raise CommandError("name either a study file or an --archive")
        if archive is not None:
            self.restore(archive)
            return
        try:
            spec = load_study_file(path)
            study = study_import(spec=spec)
        except StudyFileError as exc:
            raise CommandError("\n".join(exc.errors)) from exc
        rounds = study.rounds.count()
        self.stdout.write(
            f"Imported study {study.slug!r}: {study.vignettes.count()} vignettes, "
            f"{study.options.count()} options, {len(spec.statements)} statements, {rounds} round(s)."
        )

    def restore(self, archive: str) -> None:
        try:
            restored = study_archive_restore(records=study_archive_read(archive), source=archive)
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
                    f"{restored.links_dropped} participants were not re-linked: PARTICIPANT_LINK_KEY is not the key "
                    "the archive was made under. Their answers, tables and exports are intact, but those "
                    "panelists will not see their earlier answers."
                )
            )
