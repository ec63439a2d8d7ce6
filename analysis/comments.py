"""The panel's comments as a table, for qualitative analysis (SPEC 5: unattributed, in random order)."""

from __future__ import annotations

import pandas as pd

from analysis import selectors
from analysis.tables import RoundData


def comments(data: RoundData, *, include_all: bool = False, pseudonyms: bool = False) -> pd.DataFrame:
    """The round's comments in questionnaire order of their items, in random order within each item.

    Unattributed unless the analyst asks for pseudonyms, which then name the
    same panelists as the raw answers do.
    """
    frame = selectors.comments_frame(round=data.round)
    frame.insert(0, "round", data.round.number)
    items = data.items.set_index("statement")["item_order"]
    frame["_order"] = frame["statement"].map(items)
    frame = frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    return frame if pseudonyms else frame.drop(columns="pseudonym")
