"""What a panelist answers to one item, as the voting form cleans it and the voting service writes it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerInput:
    """One item's answer.

    A Likert "no answer" is an AnswerInput with no rating: the panelist did
    see the item and chose to leave it blank, which analysis counts as blank.
    `options` holds (option id, rank) pairs; rank is None except in rankings.
    """

    item_id: int
    rating: int | None = None
    text: str = ""
    options: tuple[tuple[int, int | None], ...] = ()
