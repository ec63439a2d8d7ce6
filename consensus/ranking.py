"""Agreement among panelists who ranked the same options: Kendall's W."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class KendallW:
    w: float
    chi2: float
    df: int
    p: float
    m: int
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def kendalls_w(rankings: pd.DataFrame | np.ndarray | list[list[float]]) -> KendallW:
    """Kendall's coefficient of concordance with the tie correction.

    Rows are the m raters, columns the n objects ranked. Each row is ranked
    again with average ranks, which leaves proper rankings unchanged and turns
    raw scores, or ties written as 1, 1, 3, into the ranks the formula needs.

    W = 12 S / (m^2 (n^3 - n) - m sum_j T_j), where S is the sum of squared
    deviations of the objects' rank sums from their mean and T_j sums
    t^3 - t over the groups of t tied objects of rater j.
    chi2 = m (n - 1) W on n - 1 degrees of freedom.
    """
    table = np.asarray(rankings, dtype=float)
    if table.ndim != 2:
        raise ValueError(f"rankings must be a table of raters by objects, got {table.ndim} dimensions")
    m, n = table.shape
    if m < 2:
        raise ValueError(f"Kendall's W needs at least 2 raters, got {m}")
    if n < 2:
        raise ValueError(f"Kendall's W needs at least 2 ranked objects, got {n}")
    if not np.isfinite(table).all():
        row, col = np.argwhere(~np.isfinite(table))[0]
        raise ValueError(
            f"rankings must be complete: rater {row + 1} has no rank for object {col + 1}"
        )
    # scipy.stats takes a second to import; only rankings and round changes need it.
    from scipy import stats as scipy_stats

    ranks = scipy_stats.rankdata(table, axis=1)
    rank_sums = ranks.sum(axis=0)
    s = float(((rank_sums - rank_sums.mean()) ** 2).sum())
    ties = sum(_tie_term(row) for row in ranks)
    denominator = m**2 * (n**3 - n) - m * ties
    if denominator == 0:
        raise ValueError("every rater tied all objects, so Kendall's W is undefined")
    w = 12 * s / denominator
    chi2 = m * (n - 1) * w
    return KendallW(w=w, chi2=chi2, df=n - 1, p=float(scipy_stats.chi2.sf(chi2, n - 1)), m=m, n=n)


def _tie_term(row: np.ndarray) -> int:
    _, sizes = np.unique(row, return_counts=True)
    return int((sizes**3 - sizes).sum())
