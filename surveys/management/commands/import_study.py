from django.core.management.base import BaseCommand, CommandError

from surveys.services import study_import
from surveys.studyfile import StudyFileError, load_study_file


class Command(BaseCommand):
    help = "Check a study file (YAML or JSON, SPEC 4.1) and load it in one transaction."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the study file")

    def handle(self, *args, path, **options):
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
