from django.core.management.base import BaseCommand, CommandError

from analysis.files.responses import ResponseFileError
from analysis.services.responses import responses_import
from surveys.models import Study


class Command(BaseCommand):
    help = (
        "Check response files (SPEC 4.2) and import them in one transaction: every row, or none. "
        "The ratings file is long (round,panelist,statement,rating) or wide (panelist, an optional round, "
        "and one column per statement code)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the study's slug")
        parser.add_argument("--ratings", required=True, help="ratings CSV, long or wide")
        parser.add_argument(
            "--not-recommended", dest="not_recommended", help="not-recommended CSV: round,panelist,vignette,option"
        )
        parser.add_argument(
            "--round", dest="round_number", type=int, help="the round of a wide ratings file without a round column"
        )

    def handle(self, *args, slug, ratings, not_recommended, round_number, **options):
        study = Study.objects.filter(slug=slug).first()
        if study is None:
            raise CommandError(f"no study with the slug {slug!r}")
        try:
            result = responses_import(
                study=study, ratings=ratings, not_recommended=not_recommended, round_number=round_number
            )
        except ResponseFileError as exc:
            # Line by line rather than in the exception's message: a bad file
            # can hold a million bad rows, and the message would be copied whole.
            for start in range(0, len(exc.errors), 10_000):
                self.stderr.write("\n".join(exc.errors[start : start + 10_000]))
            raise CommandError(f"nothing imported: {len(exc.errors)} problem(s) found, listed above") from exc
        rounds = ", ".join(map(str, result.rounds))
        made = f"; created round(s) {', '.join(map(str, result.rounds_created))}" if result.rounds_created else ""
        closed = f"; closed round(s) {', '.join(map(str, result.rounds_closed))}" if result.rounds_closed else ""
        self.stdout.write(
            f"Imported into {study.slug!r}, round(s) {rounds}: {result.ratings} ratings, {result.blanks} blank, "
            f"{result.selections} not-recommended selections, {result.submissions} submissions "
            f"({result.participants_created} new panelists){made}{closed}."
        )
