import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from consensus import Scale, item_stats

ratings_lists = st.lists(st.integers(1, 9), max_size=40)


# --- Scale --------------------------------------------------------------------


def test_the_default_scale_is_one_to_nine_with_neutral_five():
    assert Scale() == Scale(min=1, max=9, neutral=5)


def test_the_nine_point_scale_splits_into_thirds():
    assert Scale().bands() == ((1, 3), (4, 6), (7, 9))


@pytest.mark.parametrize(
    ("scale", "bands"),
    [
        (Scale(1, 7, 4), ((1, 2), (3, 5), (6, 7))),
        (Scale(1, 5, 3), ((1, 2), (3, 3), (4, 5))),
        (Scale(1, 10, 5), ((1, 3), (4, 7), (8, 10))),
        (Scale(0, 10, 5), ((0, 3), (4, 6), (7, 10))),
    ],
)
def test_other_scales_split_symmetrically_with_the_middle_taking_the_rest(scale, bands):
    assert scale.bands() == bands


@given(st.integers(-5, 5), st.integers(2, 30))
def test_the_bands_cover_every_point_once_with_outer_bands_of_equal_width(low, width):
    scale = Scale(low, low + width, low + 1)
    (a, b), (c, d), (e, f) = scale.bands()
    assert (a, f) == (scale.min, scale.max)
    assert (c, e) == (b + 1, d + 1)
    assert b - a == f - e
    assert d >= c
    # The outer width is the whole number nearest a third of the points.
    assert abs((b - a + 1) - len(scale.points) / 3) <= 0.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"neutral": 9}, "min < neutral < max"),
        ({"min": 5}, "min < neutral < max"),
        ({"max": 3}, "min < neutral < max"),
        ({"neutral": 4.5}, "neutral must be a whole number"),
        ({"max": True}, "max must be a whole number"),
    ],
)
def test_a_scale_rejects_impossible_ends_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Scale(**kwargs)


# --- hand-computed statistics -------------------------------------------------


def test_statistics_match_a_hand_computed_example():
    # Sorted: 6 7 7 8 8 8 9 9 9 9, n 10, sum 80.
    stats = item_stats([9, 8, 7, 9, 6, 8, 9, 7, 8, 9])
    assert stats.n == 10
    assert stats.mean == 8
    # Deviations from 8: -2 -1 -1 0 0 0 1 1 1 1; squares sum to 10; 10 / 9.
    assert stats.sd == pytest.approx(math.sqrt(10 / 9))
    assert stats.median == 8
    # Type 7: P25 at position 0.25 * 9 = 2.25 -> 7 + 0.25 * (8 - 7).
    assert stats.p25 == 7.25
    # P75 at position 6.75, between two 9s.
    assert stats.p75 == 9
    assert stats.iqr == 1.75
    assert (stats.min, stats.max) == (6, 9)
    assert stats.counts == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 1, 7: 2, 8: 3, 9: 4}
    assert (stats.pct_low, stats.pct_mid, stats.pct_high) == (0, 10, 90)
    # |x - 8|: 2 1 1 0 0 0 1 1 1 1 -> 8 / 10.
    assert stats.mad_m == pytest.approx(0.8)
    assert stats.cv == pytest.approx(math.sqrt(10 / 9) / 8)


def test_percentiles_interpolate_linearly_between_ratings():
    # Positions 0.75 and 2.25 in 1 2 3 4 (Hyndman-Fan type 7).
    stats = item_stats([4, 1, 3, 2])
    assert (stats.p25, stats.median, stats.p75) == (1.75, 2.5, 3.25)


def test_missing_answers_are_not_counted():
    # Mayo Table 3, diabetes vignette: nine ratings summing to 76 and one blank.
    stats = item_stats([9, 9, 9, 9, 8, 8, 8, 8, 8, None])
    assert stats.n == 9
    assert stats.mean == 76 / 9
    assert round(stats.mean, 2) == 8.44


def test_none_nan_and_pandas_na_all_mean_no_answer():
    expected = item_stats([7, 8, 9])
    assert item_stats([7, None, 8, 9]) == expected
    assert item_stats(np.array([7, np.nan, 8, 9])) == expected
    assert item_stats(pd.Series([7, None, 8, 9], dtype="Int64")) == expected
    assert item_stats(pd.Series([7.0, np.nan, 8.0, 9.0])) == expected
    assert item_stats([7, pd.NA, 8, 9]) == expected


def test_a_single_rating_has_no_sd_and_no_cv():
    stats = item_stats([7])
    assert (stats.n, stats.mean, stats.sd, stats.cv, stats.iqr) == (1, 7, None, None, 0)


def test_no_ratings_give_empty_statistics_with_zero_counts():
    stats = item_stats([None, None])
    assert stats.n == 0
    assert stats.mean is None and stats.median is None and stats.pct_high is None
    assert set(stats.counts.values()) == {0}


def test_cv_is_none_when_the_mean_is_zero():
    assert item_stats([-1, 1], Scale(-2, 2, 0)).cv is None


def test_as_dict_flattens_counts_into_one_key_per_point():
    flat = item_stats([7, 8]).as_dict()
    assert flat["count_7"] == 1 and flat["count_1"] == 0
    assert "counts" not in flat
    assert [key for key in flat if key.startswith("count_")] == [f"count_{p}" for p in range(1, 10)]


def test_counts_follow_the_scale():
    assert item_stats([1, 5, 5], Scale(1, 5, 3)).counts == {1: 1, 2: 0, 3: 0, 4: 0, 5: 2}


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ([7, 10], "rating 10 is outside the scale 1-9"),
        ([0, 7], "rating 0 is outside the scale 1-9"),
        ([7, 7.5], "rating 7.5 is not a whole point"),
        ([7, float("inf")], "outside the scale"),
        ([[7, 8], [9, 9]], "flat list"),
        (["seven"], "numbers or blanks"),
    ],
)
def test_it_rejects_ratings_that_are_not_points_of_the_scale(ratings, message):
    with pytest.raises(ValueError, match=message):
        item_stats(ratings)


# --- properties ---------------------------------------------------------------


@given(st.data(), ratings_lists)
def test_statistics_do_not_depend_on_answer_order(data, ratings):
    shuffled = data.draw(st.permutations(ratings))
    assert item_stats(shuffled) == item_stats(ratings)


@given(st.data(), ratings_lists, st.integers(1, 5))
def test_adding_blanks_changes_no_statistic(data, ratings, blanks):
    with_blanks = list(ratings)
    for _ in range(blanks):
        blank = data.draw(st.sampled_from([None, float("nan")]))
        with_blanks.insert(data.draw(st.integers(0, len(with_blanks))), blank)
    assert item_stats(with_blanks) == item_stats(ratings)


@given(ratings_lists.filter(bool))
def test_counts_add_up_to_n_and_band_percentages_to_one_hundred(ratings):
    stats = item_stats(ratings)
    assert sum(stats.counts.values()) == stats.n == len(ratings)
    assert stats.pct_low + stats.pct_mid + stats.pct_high == pytest.approx(100)
    assert stats.min <= stats.p25 <= stats.median <= stats.p75 <= stats.max


# --- A forced-choice scale (the 4-point recommendation) ---------------------------


def test_a_scale_without_a_neutral_point_splits_into_halves_with_no_middle():
    assert Scale(1, 4, None).bands() == ((1, 2), None, (3, 4))


def test_a_scale_without_a_neutral_point_needs_an_even_number_of_points():
    with pytest.raises(ValueError, match="even number of points"):
        Scale(1, 5, None)


def test_four_point_ratings_fall_into_would_and_would_not_recommend_not_a_middle_third():
    # "Likely not" and "likely": on the thirds of 1-4 both were the middle band (pct_mid 100).
    stats = item_stats([2, 2, 3, 3, 3, 4], Scale(1, 4, None))

    assert (stats.pct_low, stats.pct_mid, stats.pct_high) == (pytest.approx(100 / 3), None, pytest.approx(200 / 3))


def test_no_consensus_rule_judges_a_scale_without_a_neutral_point():
    from consensus import evaluate

    with pytest.raises(ValueError, match="neutral point"):
        evaluate([3, 4, 4], "mayo", None, Scale(1, 4, None))
