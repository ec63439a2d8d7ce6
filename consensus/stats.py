"""Descriptive statistics of one item's ratings."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from consensus.scale import Ratings, Scale, clean_ratings


@dataclass(frozen=True)
class ItemStats:
    """Statistics over the answers given; blanks are not counted in n."""

    n: int
    mean: float | None
    sd: float | None
    median: float | None
    p25: float | None
    p75: float | None
    iqr: float | None
    min: float | None
    max: float | None
    counts: dict[int, int]
    pct_low: float | None
    pct_mid: float | None
    pct_high: float | None
    mad_m: float | None
    cv: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        flat = asdict(self)
        counts = flat.pop("counts")
        flat.update({f"count_{point}": count for point, count in counts.items()})
        return flat


def drop_float_noise(value: float) -> float:
    """Round away float noise such as 3.3999999999999977 for 3.4.

    With whole-point ratings and whole-percent q, every percentile is an exact
    multiple of 1/100 and the RAND/UCLA IPR and IPRAS of 1/400, so ten
    decimals recover the exact value: a threshold met exactly compares as
    met exactly, whatever order numpy did the arithmetic in.
    """
    return round(value, 10)


# Percentile definitions by name, as numpy calls them (Hyndman and Fan 1996):
# "linear" is type 7 (R's and numpy's default, Excel's PERCENTILE.INC);
# "spss" is type 6 (SPSS, Minitab, Excel's PERCENTILE.EXC), which reads the
# tails of a small panel less leniently.
PERCENTILE_METHODS = {"linear": "linear", "spss": "weibull"}


def percentile(sorted_ratings: np.ndarray, q: float, definition: str = "linear") -> float:
    """The q-th percentile (0-100) of non-empty sorted ratings, by one of PERCENTILE_METHODS.

    Item statistics (P25, P75, IQR) use the linear definition, so the figures
    match what an analyst re-computes in a spreadsheet; the RAND/UCLA rule
    lets the study choose the definition of its P30 and P70.
    """
    method = PERCENTILE_METHODS[definition]
    return drop_float_noise(float(np.percentile(sorted_ratings, q, method=method)))


def item_stats(ratings: Ratings, scale: Scale = Scale()) -> ItemStats:
    """n, mean, SD, percentiles, counts and spread of one item's ratings."""
    x = clean_ratings(ratings, scale)
    return stats_of_clean(x, scale)


def stats_of_clean(x: np.ndarray, scale: Scale) -> ItemStats:
    """item_stats for ratings already passed through clean_ratings."""
    counts = _counts(x, scale)
    n = int(x.size)
    if n == 0:
        return ItemStats(
            n=0, mean=None, sd=None, median=None, p25=None, p75=None, iqr=None,
            min=None, max=None, counts=counts, pct_low=None, pct_mid=None,
            pct_high=None, mad_m=None, cv=None,
        )
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else None
    median = float(np.median(x))
    p25, p75 = percentile(x, 25), percentile(x, 75)
    low, mid, high = (
        None if band is None else 100 * sum(counts[p] for p in range(band[0], band[1] + 1)) / n
        for band in scale.bands()
    )
    return ItemStats(
        n=n,
        mean=mean,
        sd=sd,
        median=median,
        p25=p25,
        p75=p75,
        iqr=p75 - p25,
        min=float(x[0]),
        max=float(x[-1]),
        counts=counts,
        pct_low=low,
        pct_mid=mid,
        pct_high=high,
        mad_m=float(np.abs(x - median).mean()),
        cv=sd / mean if sd is not None and mean != 0 else None,
    )


def _counts(x: np.ndarray, scale: Scale) -> dict[int, int]:
    tally = np.bincount(x.astype(int) - scale.min, minlength=len(scale.points))
    return {point: int(count) for point, count in zip(scale.points, tally, strict=True)}
