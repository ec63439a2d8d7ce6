"""`make bench` (`python -m tests.commands tests.perf.bench`): a synthetic study at scale, end to end.

It imports responses and exports the consensus tables against pure pandas,
then counts a round of the whole panel's sealed ballots at close, and backs
the study up and restores it into an empty database.

Each step runs as its own command in a child process, as a user would run
it, against a database of its own: a SQLite file in a temporary directory,
or, when DATABASE_URL names PostgreSQL, a database "<name>_bench" created
and dropped here. The development database is never touched.
"""

import dataclasses
import json
import os
import resource
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tests.perf.pages import PAGES
from tests.perf.synthetic import BenchSize, generate

TARGET_IMPORT_SECONDS = 60
TARGET_EXPORT_RATIO = 2
# As a user runs them: two export_consensus processes against one pandas script.
TARGET_PROCESS_RATIO = 1.5
TARGET_PEAK_MIB = 1024
# The ballot box (docs/performance.md): closing a round of a whole panel's ballots,
# and the study archive both ways.
TARGET_CLOSE_SECONDS = 30
TARGET_CLOSE_MIB = 1024
TARGET_ARCHIVE_SECONDS = 60
TARGET_ARCHIVE_MIB = 512
# The voting page of a 300-statement round on the server, and its size before compression: a panelist
# on a phone between clinics waits for the first and pays for the second.
TARGET_PAGE_SECONDS = 0.5
TARGET_PAGE_BYTES_PER_ITEM = 3 * 1024
# A facilitator's pages and downloads of a large closed round, well inside gunicorn's 30 s timeout
# (docs/deploy.md) so no worker is killed mid-request; the results page, read most often, tighter.
TARGET_SERVED_SECONDS = 3
TARGET_SERVED_MIB = 256
TARGET_RESULTS_SECONDS = 1.5
# The Word report draws its figures and lays out every table for the paper: an analyst asks for it
# once, not a page a worker serves many times over.
TARGET_REPORT_SECONDS = 15
TABLES = ("recommendations", "not-recommended")
# The second study of `make bench`: 40 statements per vignette, 1,200 in all, four times the first.
GROWTH = 40
# A page may grow as its items do (linear), times this for the noise of timing: a page whose work is
# all linear in its items measures 4.0 times give or take a few hundredths, so a bound of exactly
# 4 would pass or fail it by chance. Growth as n log n would show 5 times (4 x log 1,200 / log 300),
# as n squared 16 times: both still fail.
GROWTH_TOLERANCE = 1.1


@dataclass(frozen=True)
class Step:
    seconds: float
    peak_mib: float
    stdout: str


class Command(BaseCommand):
    help = "Benchmark import_responses and export_consensus on a synthetic study (docs/performance.md)."
    requires_system_checks = []

    def add_arguments(self, parser):
        defaults = BenchSize()
        parser.add_argument("--panelists", type=int, default=defaults.panelists)
        parser.add_argument("--vignettes", type=int, default=defaults.vignettes)
        parser.add_argument("--statements", type=int, default=defaults.statements_per_vignette, help="per vignette")
        parser.add_argument("--options", type=int, default=defaults.options)
        parser.add_argument("--rounds", type=int, default=defaults.rounds)
        parser.add_argument(
            "--growth", type=int, default=GROWTH, help="statements per vignette of a second study whose pages are "
            "timed against the first's (default %(default)s, four times as many); 0 skips it",
        )

    def handle(self, *args, panelists, vignettes, statements, options, rounds, growth, **kwargs):
        size = BenchSize(
            panelists=panelists,
            vignettes=vignettes,
            statements_per_vignette=statements,
            options=options,
            rounds=rounds,
        )
        with (
            tempfile.TemporaryDirectory(prefix="delphi-bench-") as directory,
            _bench_database(Path(directory)) as (url, database),
            _bench_database(Path(directory), "restore") as (restore_url, _restore),
            _bench_database(Path(directory), "large") as (large_url, _large),
        ):
            self.directory = Path(directory)
            # DEBUG off as in production: with it on, Django keeps every query's SQL.
            # Off, the settings ask for real keys: throwaway ones, made for this run.
            keys = {name: secrets.token_urlsafe(50) for name in ("SECRET_KEY", "PARTICIPANT_LINK_KEY", "BALLOT_KEY")}
            self.env = os.environ | keys | {"DATABASE_URL": url, "DEBUG": "0"}
            self.restore_env = self.env | {"DATABASE_URL": restore_url}
            self.steps: dict[str, Step] = {}
            pages = self._run(size, database)
            if growth:
                self.env = self.env | {"DATABASE_URL": large_url}
                self._growth(size, dataclasses.replace(size, statements_per_vignette=growth), pages)

    def _run(self, size: BenchSize, database: str) -> list[dict]:
        """Runs the bench at `size` and prints its figures; returns the voting page's and served pages' times."""
        out = self.stdout.write
        out(f"Benchmark: {size.panelists} panelists x {size.statements} statements x {size.rounds} rounds")
        out(f"database: {database}; cores: {os.cpu_count()}; files in {self.directory}")
        start = time.perf_counter()
        files = generate(self.directory, size)
        seconds = time.perf_counter() - start
        out(f"generated {files.rating_rows:,} ratings and {files.selection_rows:,} selections in {seconds:.1f} s")

        self._step("migrate", "migrate", "--noinput", "-v", "0")
        self._step("import_study", "import_study", str(files.study))
        imported = self._step(
            "import_responses",
            "import_responses",
            files.slug,
            "--ratings",
            str(files.ratings),
            "--not-recommended",
            str(files.not_recommended),
        )
        rows = files.rating_rows + files.selection_rows

        # As a user runs it: one export_consensus process per table, start-up included.
        commands = [
            self._step(
                f"export_consensus {table}",
                "export_consensus",
                files.slug,
                "--round",
                str(size.rounds),
                "--table",
                table,
                "--format",
                "csv",
                "--output",
                str(self.directory / f"command-{table}.csv"),
            )
            for table in TABLES
        ]
        command_seconds = sum(step.seconds for step in commands)
        # The figure to watch: both tables in one process, timed after start-up,
        # against pure pandas timed the same way.
        exported = self._child(
            "export (both tables, one process)",
            [sys.executable, "-m", "tests.perf.export_work", files.slug, str(size.rounds), str(self.directory)],
        )
        reference = self._child(
            "pure pandas",
            [
                sys.executable,
                "-m",
                "tests.perf.synthetic",
                "--study",
                str(files.study),
                "--ratings",
                str(files.ratings),
                "--not-recommended",
                str(files.not_recommended),
                "--round",
                str(size.rounds),
                "--output-dir",
                str(self.directory),
            ],
        )
        export_work = json.loads(exported.stdout)["seconds"]
        pandas_work = json.loads(reference.stdout)["seconds"]
        ratio = export_work / pandas_work
        peak = max(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        ) / 1024

        # The ballot box: a fourth round, a sealed submitted ballot per panelist, then the close that counts it.
        ballots = self._child(
            "seal a ballot per panelist",
            [sys.executable, "-m", "tests.commands", "tests.perf.ballots", files.slug, "--panelists", str(size.panelists)],
        )
        # The voting page of that round for one of the panel, with round 3's feedback on every item.
        page = self._child(
            "voting page",
            [sys.executable, "-m", "tests.commands", "tests.perf.ballot_page", files.slug, str(size.rounds + 1)],
        )
        ballot_page = json.loads(page.stdout)
        close = self._child(
            "close and count",
            [sys.executable, "-m", "tests.commands", "tests.perf.close_round", files.slug, str(size.rounds + 1)],
        )
        counted = int(close.stdout.split(": ")[1].split()[0].replace(",", ""))
        served = [
            json.loads(self._child(
                f"served: {page}",
                [sys.executable, "-m", "tests.commands", "tests.perf.pages", files.slug, str(size.rounds + 1), page],
            ).stdout)
            for page in PAGES
        ]
        archive = self.directory / "bench.zip"
        exported = self._step("export_study", "export_study", files.slug, "--output", str(archive))
        self._child("migrate (restore database)", [sys.executable, str(settings.BASE_DIR / "manage.py"), "migrate",
                                                   "--noinput", "-v", "0"], env=self.restore_env)
        restored = self._child("import_study --archive", [sys.executable, str(settings.BASE_DIR / "manage.py"),
                                                          "import_study", "--archive", str(archive)],
                               env=self.restore_env)
        out(f"  {ballots.stdout.strip()}; {close.stdout.strip()}; archive {archive.stat().st_size / 2**20:.0f} MiB")

        out("")
        out(f"{'figure':<60} {'value':>14}   target")
        figures = [
            ("import: CSV rows (ratings + selections)", f"{rows:,}", "", None),
            ("import: seconds", f"{imported.seconds:.1f}", f"<= {TARGET_IMPORT_SECONDS}",
             imported.seconds <= TARGET_IMPORT_SECONDS),
            ("import: rows per second", f"{rows / imported.seconds:,.0f}", "", None),
            (f"export of both tables, round {size.rounds}: seconds", f"{export_work:.2f}", "", None),
            ("pure pandas, same tables from the CSV: seconds", f"{pandas_work:.2f}", "", None),
            ("export / pure pandas", f"{ratio:.2f}", f"<= {TARGET_EXPORT_RATIO}", ratio <= TARGET_EXPORT_RATIO),
            ("export_consensus, two runs with start-up: seconds", f"{command_seconds:.1f}", "", None),
            ("pure pandas process with start-up: seconds", f"{reference.seconds:.1f}", "", None),
            ("whole processes: two export_consensus / one pandas", f"{command_seconds / reference.seconds:.2f}",
             f"<= {TARGET_PROCESS_RATIO}", command_seconds / reference.seconds <= TARGET_PROCESS_RATIO),
            ("peak memory (largest process): MiB", f"{peak:.0f}", f"<= {TARGET_PEAK_MIB}", peak <= TARGET_PEAK_MIB),
            (f"close: {size.panelists:,} ballots, {counted:,} answers: seconds", f"{close.seconds:.1f}",
             f"<= {TARGET_CLOSE_SECONDS}", close.seconds <= TARGET_CLOSE_SECONDS),
            (f"voting page, {ballot_page['items']} items with feedback: seconds", f"{ballot_page['seconds']:.2f}",
             f"<= {TARGET_PAGE_SECONDS}", ballot_page["seconds"] <= TARGET_PAGE_SECONDS),
            *(
                [("voting page, before VACUUM: seconds", f"{ballot_page['seconds_as_loaded']:.2f}", "", None)]
                if "seconds_as_loaded" in ballot_page
                else []
            ),
            ("voting page: HTML bytes per item", f"{ballot_page['bytes_per_item']:,.0f}",
             f"<= {TARGET_PAGE_BYTES_PER_ITEM:,}", ballot_page["bytes_per_item"] <= TARGET_PAGE_BYTES_PER_ITEM),
            *(row for page in served for row in _served_rows(page, size.rounds + 1)),
            ("close: peak memory, MiB", f"{close.peak_mib:.0f}", f"<= {TARGET_CLOSE_MIB}",
             close.peak_mib <= TARGET_CLOSE_MIB),
            ("export_study: seconds", f"{exported.seconds:.1f}", f"<= {TARGET_ARCHIVE_SECONDS}",
             exported.seconds <= TARGET_ARCHIVE_SECONDS),
            ("export_study: peak memory, MiB", f"{exported.peak_mib:.0f}", f"<= {TARGET_ARCHIVE_MIB}",
             exported.peak_mib <= TARGET_ARCHIVE_MIB),
            ("import_study --archive: seconds", f"{restored.seconds:.1f}", f"<= {TARGET_ARCHIVE_SECONDS}",
             restored.seconds <= TARGET_ARCHIVE_SECONDS),
            ("import_study --archive: peak memory, MiB", f"{restored.peak_mib:.0f}", f"<= {TARGET_ARCHIVE_MIB}",
             restored.peak_mib <= TARGET_ARCHIVE_MIB),
        ]
        for name, value, target, met in figures:
            verdict = "" if met is None else ("  met" if met else "  MISSED")
            out(f"{name:<60} {value:>14}   {target}{verdict}")
        out("peak memory per step (MiB): " + ", ".join(f"{n} {s.peak_mib:.0f}" for n, s in self.steps.items()))
        for table in TABLES:
            verdict = _compare(self.directory / f"export-{table}.csv", self.directory / f"reference-{table}.csv")
            exported_file, command_file = self.directory / f"export-{table}.csv", self.directory / f"command-{table}.csv"
            if exported_file.read_bytes() != command_file.read_bytes():
                verdict += "; DIFFERS from the export_consensus command's file"
            out(f"{table}: {verdict}")
        return [{**ballot_page, "page": "voting page"}, *served]

    def _growth(self, size: BenchSize, larger: BenchSize, measured: list[dict]) -> None:
        """The same pages at more statements, each against its time at `size`: at most linear in statements."""
        out = self.stdout.write
        out("")
        out(f"Growth: {size.panelists} panelists x {larger.statements} statements x {larger.rounds} rounds")
        directory = self.directory / "large"
        directory.mkdir()
        files = generate(directory, larger)
        self._step("migrate (larger study)", "migrate", "--noinput", "-v", "0")
        self._step("import_study (larger study)", "import_study", str(files.study))
        self._step("import_responses (larger study)", "import_responses", files.slug, "--ratings", str(files.ratings),
                   "--not-recommended", str(files.not_recommended))
        number = larger.rounds + 1
        self._child("seal a ballot per panelist (larger study)", [sys.executable, "-m", "tests.commands",
                    "tests.perf.ballots", files.slug, "--panelists", str(larger.panelists)])
        voting = json.loads(self._child("voting page (larger study)", [sys.executable, "-m", "tests.commands",
                            "tests.perf.ballot_page", files.slug, str(number)]).stdout)
        self._child("close and count (larger study)", [sys.executable, "-m", "tests.commands", "tests.perf.close_round",
                    files.slug, str(number)])
        pages = [{**voting, "page": "voting page"}] + [
            json.loads(self._child(f"served: {page} (larger study)", [sys.executable, "-m", "tests.commands",
                       "tests.perf.pages", files.slug, str(number), page]).stdout)
            for page in PAGES
        ]
        out("")
        out(f"{'figure, round ' + str(number) + ': ' + str(larger.statements) + ' against ' + str(size.statements) + ' statements':<60} {'seconds':>14}   target")
        for small, large in zip(measured, pages, strict=True):
            # The voting page grows with its items (statements, and per vignette a list and a comment).
            linear = (large["items"] / small["items"]) if "items" in large else larger.statements / size.statements
            growth = large["seconds"] / small["seconds"]
            met = large.get("status", 200) in (200, 400) and growth <= linear * GROWTH_TOLERANCE
            out(f"{large['page'] + ': seconds (times the smaller)':<60} {large['seconds']:>8.2f} ({growth:.2f}x)"
                f"   <= {linear:.1f}x (linear) x {GROWTH_TOLERANCE}  {'met' if met else 'MISSED'}")

    def _step(self, name: str, *arguments: str) -> Step:
        return self._child(name, [sys.executable, str(settings.BASE_DIR / "manage.py"), *arguments])

    def _child(self, name: str, argv: list[str], env: dict | None = None) -> Step:
        """Runs a child to its end; its wall time and own peak memory (wait4)."""
        stdout, stderr = self.directory / f"{name}.out", self.directory / f"{name}.err"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            start = time.perf_counter()
            process = subprocess.Popen(argv, stdout=out, stderr=err, env=env or self.env, cwd=settings.BASE_DIR)
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise CommandError(f"{name} failed ({process.returncode}): {stderr.read_text()[-2000:]}")
        self.stdout.write(f"  {name}: {seconds:.1f} s")
        self.steps[name] = Step(seconds=seconds, peak_mib=usage.ru_maxrss / 1024, stdout=stdout.read_text())
        return self.steps[name]


def _served_rows(page: dict, number: int) -> list[tuple]:
    """A page's figures: its warm time (the first, cold, beside it) and its extra memory, against their targets."""
    name = f"{page['page']}, round {number}"
    if page["page"] == "raw-ratings.xlsx":
        # Past the cap of a workbook of raw answers (analysis.streams) it is refused with a message (400).
        return [(f"{name}: HTTP {page['status']}, seconds", f"{page['seconds']:.2f}",
                 f"<= {TARGET_SERVED_SECONDS}", page["status"] in (200, 400) and page["seconds"] <= TARGET_SERVED_SECONDS)]
    target = {"results": TARGET_RESULTS_SECONDS, "report.docx": TARGET_REPORT_SECONDS}.get(
        page["page"], TARGET_SERVED_SECONDS
    )
    ok = page["status"] == 200
    return [
        (f"{name}: seconds (first {page['first']:.1f})", f"{page['seconds']:.2f}", f"<= {target}",
         ok and page["seconds"] <= target),
        (f"{name}: extra MiB, {page['bytes'] / 2**20:.1f} MiB sent", f"{page['extra_mib']:.0f}",
         f"<= {TARGET_SERVED_MIB}", ok and page["extra_mib"] <= TARGET_SERVED_MIB),
    ]


def _compare(exported: Path, reference: Path) -> str:
    """Whether the export and the pure-pandas table list the same rows with the same figures."""
    ours, theirs = pd.read_csv(exported), pd.read_csv(reference)
    keys = ["statement"] if "statement" in theirs else ["vignette", "option"]
    figures = ["n", "min", "mean", "median"] if "statement" in theirs else ["count", "n", "percent"]
    merged = ours.merge(theirs, on=keys, how="outer", suffixes=("", "_pandas"), indicator=True)
    unmatched = int((merged["_merge"] != "both").sum())
    both = merged[merged["_merge"] == "both"]
    differing = sum(int(((both[f] - both[f"{f}_pandas"]).abs() > 0.051).sum()) for f in figures if f in ours)
    if unmatched or differing:
        return f"DIFFERS from pure pandas: {unmatched} row(s) in one table only, {differing} figure(s) differ"
    return f"same {len(theirs)} rows and figures as pure pandas"


@contextmanager
def _bench_database(directory: Path, purpose: str = "bench"):
    """The DATABASE_URL of a database for the bench alone, and a description of it."""
    config = settings.DATABASES["default"]
    if config["ENGINE"] == "django.db.backends.sqlite3":
        yield f"sqlite:///{directory / f'{purpose}.sqlite3'}", f"SQLite {sqlite3.sqlite_version} (temporary file)"
        return
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise CommandError(f"the bench runs on SQLite or PostgreSQL, not {config['ENGINE']}")
    import psycopg
    from psycopg import sql

    name = f"{config['NAME']}_{purpose}" if purpose != "bench" else f"{config['NAME']}_bench"
    connect = {
        "dbname": "postgres",
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }
    with psycopg.connect(**connect, autocommit=True) as connection:
        drop = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
        connection.execute(drop)
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        version = connection.info.server_version
        credentials = quote(config.get("USER") or "", safe="")
        if config.get("PASSWORD"):
            credentials += ":" + quote(config["PASSWORD"], safe="")
        host = quote(config.get("HOST") or "", safe="")
        port = f":{config['PORT']}" if config.get("PORT") else ""
        try:
            yield (
                f"postgres://{credentials}@{host}{port}/{quote(name, safe='')}",
                f"PostgreSQL {version // 10000}.{version % 10000} (database {name}, dropped afterwards)",
            )
        finally:
            connection.execute(drop)
