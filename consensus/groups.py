"""Two groups of panelists compared on one item: the attrition-bias check.

Did those who dropped out rate round 1 differently from those who stayed to
the last round? The Mann-Whitney U test (two-sided) compares the two groups'
ratings without assuming a distribution, which suits a 1-9 scale with ties.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class GroupComparison:
    n_a: int
    n_b: int
    median_a: float | None
    median_b: float | None
    mean_a: float | None
    mean_b: float | None
    u: float | None
    p: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def compare_groups(a, b) -> GroupComparison:
    """Medians, means and the two-sided Mann-Whitney U of group a against group b; blanks are left out.

    U is group a's statistic, as scipy.stats.mannwhitneyu reports it; with an
    empty group, or one rating in all, there is no test.
    """
    x = np.asarray([v for v in a if v is not None and v == v], dtype=float)
    y = np.asarray([v for v in b if v is not None and v == v], dtype=float)
    u = p = None
    if x.size and y.size and np.unique(np.concatenate([x, y])).size > 1:
        # scipy.stats takes a second to import; only the tests between groups and rounds need it.
        from scipy import stats as scipy_stats

        result = scipy_stats.mannwhitneyu(x, y, alternative="two-sided")
        u, p = float(result.statistic), float(result.pvalue)
    return GroupComparison(
        n_a=int(x.size),
        n_b=int(y.size),
        median_a=float(np.median(x)) if x.size else None,
        median_b=float(np.median(y)) if y.size else None,
        mean_a=float(x.mean()) if x.size else None,
        mean_b=float(y.mean()) if y.size else None,
        u=u,
        p=p,
    )
