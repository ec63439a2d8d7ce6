"""The one rounding rule for every figure a page, a table or an export prints (SPEC 2).

Half away from zero, as a paper prints: 76/9 = 8.444... prints 8.44, a mean
of 6.125 prints 6.13 and -6.125 prints -6.13. Python's round() and pandas'
.round() round half to even on the binary value, which gives 6.12.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal

# Room for every digit of the largest float (about 1.8e308) and its decimals.
_CONTEXT = Context(prec=400, rounding=ROUND_HALF_UP)


def half_away(value: float | int | None, places: int = 2) -> float | None:
    """`value` to `places` decimals, half away from zero; None and NaN stay as they are.

    The float is read as the shortest decimal that names it (its repr), so a
    figure that is exactly a half at the last printed place, such as the mean
    6.125 or the percentage 62.5, rounds away from zero whatever binary
    error its float carries. Decimal's ROUND_HALF_UP is half away from zero.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return value
    return float(_quantized(value, places))


def fixed(value: float | int, places: int = 2) -> str:
    """`value` printed with exactly `places` decimals under the same rule: 8.00, 6.13."""
    text = f"{_quantized(value, places):f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def short(value: float | int, places: int = 2) -> str:
    """`value` under the same rule with no trailing zeros: 7, 7.5, 8.44 (never 7.0 or -0)."""
    text = fixed(value, places)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _quantized(value: float | int, places: int) -> Decimal:
    return _CONTEXT.quantize(Decimal(repr(float(value))), Decimal(1).scaleb(-places))
