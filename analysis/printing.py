"""How a table reads for a person: headers in words, Yes/No, and figures rounded one way.

The results page, XLSX, Markdown, LaTeX and the Word report all print
through here, so a mean reads 8.44 (and 8.00, never 8) in each of them.
CSV and JSON are for programs and keep the keys and plain values.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

import consensus
from analysis.headers import words

# Means are printed with two decimals, as in the Mayo Table 3, even 8.00.
TWO_DECIMALS = frozenset({"mean", "mean_before", "mean_after", "mean_completers", "mean_dropouts"})
# p-values keep three decimals: 0.01 and 0.014 are different findings.
THREE_DECIMALS = frozenset({"p", "wilcoxon_p", "mann_whitney_p"})
LIST_SEPARATOR = "; "
BLANK = "–"


def plain(value):
    """A cell as a plain Python value: numpy scalars unwrapped, NaN and pandas' NA as None."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def printed(value, column: str, *, blank: str = BLANK) -> str:
    """One cell as a person reads it."""
    value = plain(value)
    if isinstance(value, list):
        return LIST_SEPARATOR.join(map(str, value))
    if value is None:
        return blank
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        if column in TWO_DECIMALS:
            return consensus.fixed(value)
        if column in THREE_DECIMALS:
            return consensus.fixed(value, 3)
        return consensus.short(value)
    return str(value)


def readable(df: pd.DataFrame, *, blank: str = BLANK) -> pd.DataFrame:
    """The table with headers in words and every cell printed as text."""
    columns = [str(column) for column in df.columns]
    rows = [[printed(value, column, blank=blank) for column, value in zip(columns, row)] for row in df.itertuples(index=False)]
    return pd.DataFrame(rows, columns=[words(column) for column in columns], dtype=object)


def spreadsheet_value(value, column: str):
    """A cell for a spreadsheet: numbers stay numbers (rounded), Yes/No for booleans, lists joined."""
    value = plain(value)
    if isinstance(value, list):
        return LIST_SEPARATOR.join(map(str, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return consensus.half_away(value, 3 if column in THREE_DECIMALS else 2)
    return value
