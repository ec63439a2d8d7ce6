"""Item codes: unique within a round, suffixed -2, -3 ... when a wanted code is taken."""

from collections.abc import Collection


def free_code(code: str, taken: Collection[str]) -> str:
    suffix = 2
    candidate = code
    while candidate in taken:
        candidate = f"{code}-{suffix}"
        suffix += 1
    return candidate
