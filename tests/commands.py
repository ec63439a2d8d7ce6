"""Runs a tool of tests/perf or tests/load as manage.py runs a command, set up the same way.

    python -m tests.commands tests.perf.invitations [ARGS]

The tools are Django management commands kept out of the shipped apps: each
module holds a `Command`. Django is set up before the module is imported,
because their models are imported at module level.
"""

import importlib
import os
import sys


def main(argv: list[str]) -> None:
    module, *arguments = argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    command = importlib.import_module(module).Command()
    command.run_from_argv(["manage.py", module.rsplit(".", 1)[-1], *arguments])


if __name__ == "__main__":
    main(sys.argv[1:])
