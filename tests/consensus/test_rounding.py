"""One rounding rule for every printed figure: half away from zero (SPEC 2)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consensus import fixed, half_away, short


@pytest.mark.parametrize(
    "value, places, expected",
    [
        (76 / 9, 2, 8.44),  # the Mayo paper's 8.44, with one blank among ten
        (6.125, 2, 6.13),  # exactly half: Python's round() gives 6.12
        (-6.125, 2, -6.13),  # away from zero, not up
        (62.5, 0, 63.0),
        (100 * 5 / 8, 1, 62.5),
        (1.005, 2, 1.01),  # 1.00499999... as a binary float, 1.005 as written
        (8, 2, 8.0),
    ],
)
def test_a_figure_rounds_half_away_from_zero_as_a_paper_prints_it(value, places, expected):
    assert half_away(value, places) == expected


def test_python_and_pandas_round_the_same_half_to_even_which_is_why_the_rule_exists():
    assert round(6.125, 2) == 6.12
    assert half_away(6.125) == 6.13


def test_blank_and_not_a_number_stay_as_they_are():
    assert half_away(None) is None
    assert math.isnan(half_away(float("nan")))


def test_printed_forms_keep_the_same_rule():
    assert fixed(76 / 9) == "8.44" and fixed(6.125) == "6.13" and fixed(8) == "8.00"
    assert short(6.125) == "6.13" and short(7.0) == "7" and short(7.5) == "7.5"
    assert fixed(-0.001) == "0.00" and short(-0.004) == "0"


@given(st.integers(min_value=1, max_value=9 * 40), st.integers(min_value=1, max_value=40))
def test_a_mean_of_whole_ratings_rounds_like_its_exact_fraction(total, n):
    # The exact mean total/n, rounded half away from zero in integer arithmetic.
    hundredths, remainder = divmod(total * 100, n)
    expected = hundredths + (1 if 2 * remainder >= n else 0)
    assert round(half_away(total / n) * 100) == expected
