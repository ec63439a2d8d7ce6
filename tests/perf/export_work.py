"""The export half of `make bench`: both consensus tables through export_consensus, timed after start-up.

`python -m tests.perf.export_work SLUG ROUND DIR` (with DATABASE_URL set)
writes DIR/export-<table>.csv and prints {"seconds": ...} as JSON. The clock
starts once Django and the command's modules are loaded, as the pure-pandas
reference's starts once pandas is, so the ratio compares the work alone.
"""

import json
import os
import sys
import time
from pathlib import Path

TABLES = ("recommendations", "not-recommended")


def main(argv: list[str] | None = None) -> None:
    slug, round_number, directory = argv or sys.argv[1:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command, load_command_class

    load_command_class("analysis", "export_consensus")
    start = time.perf_counter()
    for table in TABLES:
        output = Path(directory) / f"export-{table}.csv"
        call_command("export_consensus", slug, "--round", round_number, "--table", table, "--format", "csv",
                     "--output", str(output))
    json.dump({"seconds": time.perf_counter() - start}, sys.stdout)


if __name__ == "__main__":
    main()
