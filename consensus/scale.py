"""The rating scale, and turning raw answers into a clean array of ratings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd

Band = tuple[int, int]


@dataclass(frozen=True)
class Scale:
    """A scale of whole points from ``min`` to ``max``: a Likert scale with a neutral point.

    A forced-choice scale (``neutral=None``), such as the Mayo questionnaire's
    4-point recommendation, has no middle: it needs an even number of points,
    and its bands are its lower and upper halves. Consensus rules are defined
    on Likert scales only.
    """

    min: int = 1
    max: int = 9
    neutral: int | None = 5

    def __post_init__(self) -> None:
        for name in ("min", "max", "neutral"):
            value = getattr(self, name)
            if value is None and name == "neutral":
                continue
            # bool is an Integral too, and True as a scale end is always a mistake.
            if isinstance(value, bool) or not isinstance(value, Integral):
                raise ValueError(f"scale {name} must be a whole number, got {value!r}")
        if self.neutral is None:
            if self.min >= self.max or len(self.points) % 2:
                raise ValueError(
                    f"a scale without a neutral point needs an even number of points, got {self.min}-{self.max}"
                )
        elif not self.min < self.neutral < self.max:
            raise ValueError(
                f"scale must have min < neutral < max, got min {self.min}, "
                f"neutral {self.neutral}, max {self.max}"
            )

    @property
    def points(self) -> range:
        return range(self.min, self.max + 1)

    @property
    def midpoint(self) -> float:
        return (self.min + self.max) / 2

    def bands(self) -> tuple[Band, Band | None, Band]:
        """Split the scale into low, middle and high bands, as inclusive ranges.

        On a Likert scale these are thirds: the two outer bands get the same
        number of points, the whole number nearest to a third of the scale,
        and the middle band takes the rest. This keeps the split symmetric
        and as even as whole points allow: 1-9 gives (1, 3), (4, 6), (7, 9);
        1-7 gives (1, 2), (3, 5), (6, 7); 1-5 gives (1, 2), (3, 3), (4, 5);
        1-10 gives (1, 3), (4, 7), (8, 10). A scale without a neutral point
        has no middle band (None): 1-4 gives (1, 2), None, (3, 4), "would
        not" and "would" recommend.
        """
        if self.neutral is None:
            half = len(self.points) // 2
            return (self.min, self.min + half - 1), None, (self.min + half, self.max)
        width = (len(self.points) + 1) // 3
        low = (self.min, self.min + width - 1)
        high = (self.max - width + 1, self.max)
        return low, (low[1] + 1, high[0] - 1), high

    def __str__(self) -> str:
        return f"{self.min}-{self.max}"


Ratings = Iterable[float | int | None] | np.ndarray | pd.Series


def clean_ratings(ratings: Ratings, scale: Scale) -> np.ndarray:
    """Return the given answers as a sorted float array, blanks dropped.

    None, NaN and pandas NA mean "no answer": a panelist who left an item
    blank is not counted for it (SPEC 2, the Mayo mean 8.44 = 76/9).
    Sorting makes every statistic independent of answer order down to the
    last bit, and percentiles need sorted data anyway.
    """
    if isinstance(ratings, pd.Series):
        values = ratings.to_numpy(dtype=float, na_value=np.nan)
    else:
        try:
            values = np.asarray(ratings, dtype=float)
        except TypeError:
            # numpy maps None to NaN by itself but refuses pandas.NA.
            values = np.array([np.nan if pd.isna(v) else v for v in ratings], dtype=float)
        except ValueError as error:
            raise ValueError(f"ratings must be numbers or blanks: {error}") from None
    if values.ndim != 1:
        raise ValueError(f"ratings must be a flat list, got {values.ndim} dimensions")
    values = np.sort(values[~np.isnan(values)])
    if values.size:
        _check_on_scale(values, scale)
    return values


def _check_on_scale(values: np.ndarray, scale: Scale) -> None:
    if values[0] < scale.min or values[-1] > scale.max:
        bad = values[0] if values[0] < scale.min else values[-1]
        raise ValueError(f"rating {bad:g} is outside the scale {scale}")
    fractional = values[values != np.round(values)]
    if fractional.size:
        raise ValueError(f"rating {fractional[0]:g} is not a whole point of the scale {scale}")
