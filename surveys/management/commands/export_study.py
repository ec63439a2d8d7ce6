from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.archive import study_archive_export
from surveys.models import Study


class Command(BaseCommand):
    help = (
        "Write one study, its rounds, answers, accounts and audit trail, to a zip archive "
        "that import_study --archive restores."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the study's slug")
        parser.add_argument("--output", type=Path, help="the archive file to write (a zip)")

    def handle(self, *args, slug, output, **options):
        # A zip is binary, as export_consensus's xlsx: it names its file
        # rather than guess one, so no earlier backup is overwritten unasked.
        if output is None:
            raise CommandError(f"the archive is a zip file: name it with --output, e.g. --output {slug}.zip")
        study = Study.objects.filter(slug=slug).first()
        if study is None:
            raise CommandError(f"no study with slug {slug!r}")
        content = study_archive_export(study=study)
        try:
            output.write_bytes(content)
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from error
        self.stdout.write(f"Exported study {slug!r} to {output} ({len(content):,} bytes).")
