from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

import consensus
from analysis.catalog import FILE_TABLES, TABLES
from analysis.outputs import NothingToDraw, TooManyRows, figure_file, is_streamed, raw_file, report_file, table_file
from analysis.selectors import NoRoundToAnalyse, round_for_analysis, study_rounds
from surveys.models import Study

TABLE_FORMATS = ("csv", "json", "xlsx", "md", "tex")
FIGURE_FORMATS = ("png", "pdf", "svg")
FIGURE_NAMES = ("distributions", "heatmap", "consensus", "flow")
BINARY = ("xlsx", "png", "pdf", "docx")


class Command(BaseCommand):
    help = (
        "Write a table (CSV, JSON, XLSX, Markdown, LaTeX), a figure (PNG, PDF, SVG) or the Word report "
        "of a study's closed round (SPEC 4.3)."
    )
    # It reads the database only: the system checks, which import every view
    # and form of the project, would double its start-up.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the study's slug")
        parser.add_argument("--round", type=int, help="round number; default: the last closed round")
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--table", choices=[*TABLES, *FILE_TABLES, "methods"])
        what.add_argument("--figure", choices=FIGURE_NAMES)
        what.add_argument("--report", action="store_true", help="the Word report (.docx)")
        parser.add_argument("--format", choices=[*TABLE_FORMATS, *FIGURE_FORMATS],
                            help="default: csv for a table, png for a figure")
        parser.add_argument("--all", action="store_true", help="every statement with its consensus flag")
        parser.add_argument("--pseudonyms", action="store_true", help="comments: name each author by pseudonym")
        parser.add_argument("--rule", choices=list(consensus.RULES), help="judge by this rule instead of the study's")
        parser.add_argument("--output", type=Path, help="file to write; default: standard output")

    def handle(self, *args, slug, round, table, figure, report, format, all, rule, output, pseudonyms, **options):
        fmt = "docx" if report else format or ("png" if figure else "csv")
        allowed = TABLE_FORMATS if table else FIGURE_FORMATS if figure else ("docx",)
        if fmt not in allowed:
            what = "a table" if table else "a figure" if figure else "the report"
            raise CommandError(f"{what} is written as {', '.join(allowed)}, not {fmt}")
        if fmt in BINARY and output is None:
            raise CommandError(f"{fmt} is a binary format: name a file with --output")
        study = Study.objects.filter(slug=slug).first()
        if study is None:
            raise CommandError(f"no study with slug {slug!r}")
        rounds = study_rounds(study=study)
        round_ = None
        if table != "methods":
            try:
                round_ = round_for_analysis(study=study, number=round)
            except NoRoundToAnalyse as error:
                raise CommandError(str(error)) from error
        if table and is_streamed(table, fmt):
            self._write(raw_file(table, round=round_, fmt=fmt), output)
            return
        try:
            if figure:
                content = figure_file(figure, round=round_, fmt=fmt, rule=rule, study_rounds=rounds)
            elif report:
                content = report_file(round=round_, rule=rule, study_rounds=rounds)
            else:
                content = table_file(table, study=study, round=round_, fmt=fmt, include_all=all, rule=rule,
                                     pseudonyms=pseudonyms, study_rounds=rounds)
        except (NothingToDraw, TooManyRows) as error:
            raise CommandError(str(error)) from error
        self._write([content], output)

    def _write(self, chunks, output: Path | None) -> None:
        if output is None:
            for chunk in chunks:
                self.stdout.write(chunk.decode("utf-8"), ending="")
            return
        # Written beside it, then put in its place: a failure never leaves half a file under its name.
        partial = output.with_name(output.name + ".part")
        try:
            with partial.open("wb") as file:
                for chunk in chunks:
                    file.write(chunk)
            partial.replace(output)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise CommandError(f"cannot write {output}: {error.strerror}") from error
