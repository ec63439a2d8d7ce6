"""How a refused file is reported: every problem found, a line each, nothing written."""


class FileProblems(Exception):
    """A file refused whole; `errors` lists every problem found, so the caller shows them all at once."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))
