import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from consensus import KendallW, kendalls_w


def test_kendalls_w_without_ties_matches_the_hand_computation():
    # Rank sums per object: 4, 6, 8, 12; mean 7.5.
    # S = 3.5^2 + 1.5^2 + 0.5^2 + 4.5^2 = 35; W = 12 * 35 / (3^2 * (4^3 - 4)) = 420 / 540.
    result = kendalls_w([[1, 2, 3, 4], [2, 1, 3, 4], [1, 3, 2, 4]])
    assert result.w == pytest.approx(7 / 9)
    # chi2 = m (n - 1) W = 3 * 3 * 7 / 9 = 7 on 3 degrees of freedom.
    assert result.chi2 == pytest.approx(7)
    assert (result.df, result.m, result.n) == (3, 3, 4)
    assert result.p == pytest.approx(scipy_stats.chi2.sf(7, 3))
    assert result.p == pytest.approx(0.0719, abs=1e-4)


def test_kendalls_w_with_ties_applies_the_tie_correction():
    # Rank sums: 3.5, 5.5, 9.5, 11.5; mean 7.5; S = 16 + 4 + 4 + 16 = 40.
    # Raters 2 and 3 each have one pair tied: T = 2^3 - 2 = 6, sum T = 12.
    # W = 12 * 40 / (9 * 60 - 3 * 12) = 480 / 504 = 20 / 21.
    result = kendalls_w([[1, 2, 3, 4], [1.5, 1.5, 3, 4], [1, 2, 3.5, 3.5]])
    assert result.w == pytest.approx(20 / 21)
    assert result.chi2 == pytest.approx(3 * 3 * 20 / 21)


def test_ties_written_without_averaging_give_the_same_w():
    averaged = kendalls_w([[1, 2, 3, 4], [1.5, 1.5, 3, 4], [1, 2, 3.5, 3.5]])
    assert kendalls_w([[1, 2, 3, 4], [1, 1, 3, 4], [1, 2, 3, 3]]) == averaged


def test_raw_scores_are_ranked_per_rater():
    assert kendalls_w([[10, 20, 30], [1, 5, 9]]).w == pytest.approx(1)


def test_perfect_agreement_gives_w_of_one_and_opposite_rankings_zero():
    assert kendalls_w([[1, 2, 3], [1, 2, 3], [1, 2, 3]]).w == pytest.approx(1)
    assert kendalls_w([[1, 2, 3], [3, 2, 1]]).w == pytest.approx(0)


def test_a_dataframe_of_raters_by_options_is_accepted():
    frame = pd.DataFrame(
        {"tms": [1, 2, 1], "sga": [2, 1, 3], "ect": [3, 3, 2], "maoi": [4, 4, 4]},
        index=["P01", "P02", "P03"],
    )
    assert kendalls_w(frame) == kendalls_w([[1, 2, 3, 4], [2, 1, 3, 4], [1, 3, 2, 4]])


def test_as_dict_has_every_figure():
    assert set(kendalls_w([[1, 2], [1, 2]]).as_dict()) == {"w", "chi2", "df", "p", "m", "n"}


@pytest.mark.parametrize(
    ("rankings", "message"),
    [
        ([[1, 2, 3]], "at least 2 raters, got 1"),
        ([[1], [1]], "at least 2 ranked objects, got 1"),
        ([[1, 2, 3], [1, np.nan, 3]], "rater 2 has no rank for object 2"),
        ([[1, 2, 3], [1, None, 3]], "rater 2 has no rank for object 2"),
        ([1, 2, 3], "table of raters by objects"),
        ([[1, 1], [2, 2]], "every rater tied all objects"),
    ],
)
def test_it_rejects_rankings_it_cannot_score(rankings, message):
    with pytest.raises(ValueError, match=message):
        kendalls_w(rankings)


rankings_tables = st.integers(2, 6).flatmap(
    lambda n: st.lists(st.permutations(range(1, n + 1)), min_size=2, max_size=8)
)


@given(rankings_tables)
def test_w_lies_between_zero_and_one_and_matches_the_untied_formula(rows):
    result = kendalls_w(rows)
    m, n = len(rows), len(rows[0])
    sums = np.sum(rows, axis=0)
    s = ((sums - sums.mean()) ** 2).sum()
    assert result.w == pytest.approx(12 * s / (m**2 * (n**3 - n)))
    assert -1e-12 <= result.w <= 1 + 1e-12
    assert isinstance(result, KendallW)


@given(st.data(), rankings_tables)
def test_w_does_not_depend_on_the_order_of_raters_or_objects(data, rows):
    raters = data.draw(st.permutations(rows))
    order = data.draw(st.permutations(range(len(rows[0]))))
    shuffled = [[row[j] for j in order] for row in raters]
    assert kendalls_w(shuffled).w == pytest.approx(kendalls_w(rows).w)
