from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analysis.files.foreign.export import TOOLS
from analysis.files.foreign.mapping import MappingError, load_mapping
from analysis.files.foreign.propose import propose
from analysis.files.foreign.reading import SheetError, read_export
from analysis.files.responses import ResponseFileError
from analysis.selectors import import_terms
from analysis.services.foreign import foreign_import
from analysis.services.responses import responses_import
from surveys.models import Study


class Command(BaseCommand):
    help = (
        "Check response files (SPEC 4.2) and import them in one transaction: every row, or none. "
        "The ratings file is long (round,panelist,statement,rating) or wide (panelist, an optional round, "
        "and one column per statement code). Or import a Microsoft Forms or REDCap export as it is, "
        "with --from, --mapping (a YAML file: --propose-mapping prints one) and, for REDCap, --dictionary."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the study's slug")
        parser.add_argument("--ratings", help="ratings CSV, long or wide")
        parser.add_argument(
            "--not-recommended", dest="not_recommended", help="not-recommended CSV: round,panelist,vignette,option"
        )
        parser.add_argument(
            "--round", dest="round_number", type=int, help="the round of a wide ratings file without a round column"
        )
        parser.add_argument(
            "--from", dest="foreign", nargs=2, metavar=("TOOL", "FILE"),
            help=f"another tool's export: {'|'.join(TOOLS)} and the file (XLSX or CSV)",
        )
        parser.add_argument("--dictionary", help="the REDCap project's data dictionary (CSV)")
        parser.add_argument("--mapping", help="the mapping of the export onto the study (YAML)")
        parser.add_argument(
            "--propose-mapping", dest="propose", action="store_true",
            help="print a proposed mapping for the export and import nothing",
        )

    def handle(self, *args, slug, ratings, not_recommended, round_number, foreign, dictionary, mapping, propose,
               **options):
        study = Study.objects.filter(slug=slug).first()
        if study is None:
            raise CommandError(f"no study with the slug {slug!r}")
        if (ratings is None) == (foreign is None):
            raise CommandError("give either --ratings (SPEC 4.2 files) or --from TOOL FILE (another tool's export)")
        if foreign is not None:
            if not_recommended or round_number is not None:
                raise CommandError("--not-recommended and --round are for SPEC 4.2 files; with --from the mapping says")
            return self._foreign(study, *foreign, dictionary=dictionary, mapping_path=mapping, propose_only=propose)
        if dictionary or mapping or propose:
            raise CommandError("--dictionary, --mapping and --propose-mapping go with --from")
        try:
            result = responses_import(
                study=study, ratings=ratings, not_recommended=not_recommended, round_number=round_number
            )
        except ResponseFileError as exc:
            self._refuse(exc.errors)
        self._report(study, result)

    def _foreign(self, study, tool, path, *, dictionary, mapping_path, propose_only):
        if tool not in TOOLS:
            raise CommandError(f"--from {tool!r}: the tools read are {', '.join(TOOLS)}")
        if (mapping_path is None) != propose_only:
            raise CommandError("give --mapping MAP.yaml to import, or --propose-mapping to print a proposed one")
        try:
            export = read_export(source=path, tool=tool, dictionary=dictionary)
        except SheetError as exc:
            raise CommandError(str(exc)) from exc
        terms = import_terms(study=study)
        if propose_only:
            self.stdout.write(propose(export, terms).dump(), ending="")
            return
        try:
            raw = Path(mapping_path).read_bytes()
        except OSError as exc:
            raise CommandError(f"{mapping_path}: cannot be read ({exc.strerror})") from exc
        try:
            mapping = load_mapping(raw, source=mapping_path, terms=terms)
            result, left_out = foreign_import(study=study, export=export, mapping=mapping)
        except (MappingError, ResponseFileError) as exc:
            self._refuse(exc.errors)
        for line in left_out:
            self.stdout.write(line)
        self._report(study, result)

    def _refuse(self, errors: list[str]):
        # Line by line rather than in the exception's message: a bad file
        # can hold a million bad rows, and the message would be copied whole.
        for start in range(0, len(errors), 10_000):
            self.stderr.write("\n".join(errors[start : start + 10_000]))
        raise CommandError(f"nothing imported: {len(errors)} problem(s) found, listed above")

    def _report(self, study, result):
        rounds = ", ".join(map(str, result.rounds))
        made = f"; created round(s) {', '.join(map(str, result.rounds_created))}" if result.rounds_created else ""
        closed = f"; closed round(s) {', '.join(map(str, result.rounds_closed))}" if result.rounds_closed else ""
        self.stdout.write(
            f"Imported into {study.slug!r}, round(s) {rounds}: {result.ratings} ratings, {result.blanks} blank, "
            f"{result.selections} not-recommended selections, {result.submissions} submissions "
            f"({result.participants_created} new panelists){made}{closed}."
        )
