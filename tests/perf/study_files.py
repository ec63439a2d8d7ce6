"""`make bench`: how long study files take to parse at the edge of their bounds (docs/performance.md).

`python -m tests.commands tests.perf.study_files` parses, in this process, the
slowest files the bounds let through and files just past them, and prints
each time; a file under the cap must parse within a second.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from analysis.files.bounded import MAX_BYTES, MAX_NODES
from analysis.files.study import StudyFileError, parse_study_text

HEAD = (
    "slug: x\ntitle: y\noptions: [{code: a, name: a, short: a, group: add}]\n"
    "vignettes: [{code: v, title: t, text: x}]\n"
)
SHAPES = {
    "4,600 statements (under the caps)": HEAD + "statements:\n" + "".join(
        f"- {{code: s{i}, vignette: v, text: S{i}, options: [a]}}\n" for i in range(4600)
    ),
    "5,500 options (under the caps)": "slug: x\ntitle: y\nvignettes: [{code: v, title: t, text: x}]\noptions:\n"
    + "".join(f"- {{code: o{i}, name: n, short: s, group: add}}\n" for i in range(5500)),
    "49,990 short lines (under the caps, every line an error)": "slug: x\ntitle: y\noptions:\n" + "- a\n" * 49990,
    "60,000 short lines (past the value cap)": "slug: x\ntitle: y\noptions:\n" + "- a\n" * 60000,
    "990 KB of short lines (past the size cap)": "slug: x\noptions:\n" + "- a\n" * 250000,
}
TARGET_SECONDS = 1


class Command(BaseCommand):
    help = "Time study files at the edge of their bounds."

    def handle(self, *args, **options):
        self.stdout.write(f"study files: at most {MAX_BYTES // 1024} KB and {MAX_NODES:,} values")
        slowest = 0.0
        for name, text in SHAPES.items():
            raw = text.encode()
            start = time.perf_counter()
            try:
                parse_study_text(raw, source="bench.yaml")
                outcome = "accepted"
            except StudyFileError as error:
                outcome = f"refused ({len(error.errors):,} problem(s))"
            seconds = time.perf_counter() - start
            slowest = max(slowest, seconds)
            self.stdout.write(f"  {name}: {len(raw):,} bytes, {seconds:.2f} s, {outcome}")
        verdict = "met" if slowest <= TARGET_SECONDS else "MISSED"
        self.stdout.write(f"slowest: {slowest:.2f} s; target <= {TARGET_SECONDS} s: {verdict}")
        if slowest > TARGET_SECONDS:
            raise CommandError("a study file took longer to parse than the target")
