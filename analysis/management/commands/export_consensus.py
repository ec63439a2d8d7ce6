from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

import consensus
from analysis.exports import FORMATS, export_table, methods_frame
from analysis.methods import methods_summary
from analysis.selectors import NoRoundToAnalyse, round_for_analysis
from analysis.catalog import FILE_TABLES, TABLES, build_table
from surveys.models import Study


class Command(BaseCommand):
    help = "Write a consensus table of a study's round as CSV, JSON, XLSX, Markdown or LaTeX (SPEC 4.3)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the study's slug")
        parser.add_argument("--round", type=int, help="round number; default: the last closed round")
        parser.add_argument("--table", required=True, choices=[*TABLES, *FILE_TABLES, "methods"])
        parser.add_argument("--format", default="csv", choices=FORMATS)
        parser.add_argument("--all", action="store_true", help="every statement with its consensus flag")
        parser.add_argument("--pseudonyms", action="store_true", help="comments: name each author by pseudonym")
        parser.add_argument("--rule", choices=list(consensus.RULES), help="judge by this rule instead of the study's")
        parser.add_argument("--output", type=Path, help="file to write; default: standard output")

    def handle(self, *args, slug, round, table, format, all, rule, output, pseudonyms, **options):
        if format == "xlsx" and output is None:
            raise CommandError("xlsx is a binary format: name a file with --output")
        study = Study.objects.filter(slug=slug).first()
        if study is None:
            raise CommandError(f"no study with slug {slug!r}")
        if table == "methods":
            rows = methods_summary(study=study).rows
            content = export_table(methods_frame(rows), name=table, fmt=format)
        else:
            try:
                round_ = round_for_analysis(study=study, number=round)
            except NoRoundToAnalyse as error:
                raise CommandError(str(error)) from error
            frame = build_table(table, round=round_, include_all=all, rule=rule, pseudonyms=pseudonyms)
            # The workbook carries a methods sheet; the flat formats hold the table alone.
            methods = methods_summary(study=study).rows if format == "xlsx" else ()
            content = export_table(frame, name=table, fmt=format, methods=methods)
        if output is None:
            self.stdout.write(content.decode("utf-8"), ending="")
            return
        try:
            output.write_bytes(content)
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from error
