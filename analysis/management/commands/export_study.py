import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analysis.files.archive import study_archive_export
from surveys.models import Study


class Command(BaseCommand):
    help = (
        "Write one study, its rounds, answers, accounts and audit trail, to a zip archive "
        "that import_study --archive restores."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the study's slug")
        parser.add_argument("--output", type=Path, help="the archive file to write (a zip)")
        parser.add_argument("--force", action="store_true", help="replace an existing file of that name")

    def handle(self, *args, slug, output, force, **options):
        # A zip is binary, as export_consensus's xlsx: it names its file
        # rather than guess one, and an earlier backup is replaced only with --force.
        if output is None:
            raise CommandError(f"the archive is a zip file: name it with --output, e.g. --output {slug}.zip")
        study = Study.objects.filter(slug=slug).first()
        if study is None:
            raise CommandError(f"no study with slug {slug!r}")
        # Readable by its owner only: it holds password hashes and every answer, as a dump does.
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
        try:
            descriptor = os.open(output, flags, 0o600)
        except FileExistsError as error:
            raise CommandError(f"{output} exists: name another file, or pass --force to replace it") from error
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from error
        try:
            with os.fdopen(descriptor, "wb") as file:
                counts = study_archive_export(study=study, file=file)
        except BaseException:
            # Half an archive is no backup: nothing is left behind.
            output.unlink(missing_ok=True)
            raise
        self.stdout.write(
            f"Exported study {slug!r} to {output} ({output.stat().st_size:,} bytes; "
            f"{counts['answers']:,} answers, {counts['ballots']:,} sealed ballots)."
        )
