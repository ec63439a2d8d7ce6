import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from consensus import compare_rounds

LABELS = [f"P{i:02d}" for i in range(1, 31)]


def panel(*ratings):
    return dict(zip(LABELS, ratings, strict=False))


def test_eight_ratings_all_moving_up_give_the_hand_computed_wilcoxon_p():
    before = panel(5, 6, 7, 7, 8, 6, 5, 7, 8, 6)
    after = panel(7, 7, 8, 7, 9, 8, 6, 8, 8, 7)
    # Differences 2 1 1 0 1 2 1 1 0 1: two zeros dropped, eight positive.
    # No negative rank, so the statistic is 0. Of the 2**8 equally likely sign
    # patterns only "all up" and "all down" are as extreme: p = 2 / 256.
    change = compare_rounds(before, after)
    assert change.wilcoxon_statistic == 0
    assert change.wilcoxon_p == 2 / 256
    assert (change.n_before, change.n_after, change.n_paired) == (10, 10, 10)
    assert change.pct_changed == 80
    assert (change.mean_before, change.mean_after, change.mean_change) == (6.5, 7.5, 1.0)
    assert (change.median_before, change.median_after, change.median_change) == (6.5, 7.5, 1.0)


def test_distinct_differences_give_the_exact_wilcoxon_p():
    # Differences 1 2 -3 4 5 6: ranks 1-6, negative rank sum 3, positive 18.
    # Subsets of 1..6 summing to 3 or less: {}, {1}, {2}, {3}, {1, 2}: 5 of 64;
    # two-sided p = 2 * 5 / 64.
    change = compare_rounds(panel(5, 5, 7, 3, 3, 3), panel(6, 7, 4, 7, 8, 9))
    assert change.wilcoxon_statistic == 3
    assert change.wilcoxon_p == 10 / 64


def test_a_tied_panel_of_ten_gives_the_same_p_as_scipy():
    before = panel(5, 6, 7, 7, 8, 6, 5, 7, 8, 6)
    after = panel(6, 8, 6, 9, 8, 4, 8, 8, 9, 8)
    expected = scipy_stats.wilcoxon(list(after.values()), list(before.values()))
    change = compare_rounds(before, after)
    assert change.wilcoxon_statistic == expected.statistic
    assert change.wilcoxon_p == pytest.approx(expected.pvalue, rel=1e-12)


def test_a_large_tied_panel_gives_the_same_p_as_scipy():
    before = panel(*([5, 6, 7, 8, 9] * 6))
    after = panel(*([6, 6, 8, 9, 8] * 6))
    expected = scipy_stats.wilcoxon(list(after.values()), list(before.values()))
    change = compare_rounds(before, after)
    assert change.wilcoxon_statistic == expected.statistic
    assert change.wilcoxon_p == pytest.approx(expected.pvalue, rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 9), st.integers(1, 9)), min_size=2, max_size=9))
def test_the_wilcoxon_p_always_matches_scipy(pairs):
    before, after = zip(*pairs, strict=True)
    change = compare_rounds(panel(*before), panel(*after))
    if sum(a != b for a, b in pairs) < 2:
        assert change.wilcoxon_p is None
        return
    expected = scipy_stats.wilcoxon(after, before)
    assert change.wilcoxon_statistic == pytest.approx(expected.statistic)
    assert change.wilcoxon_p == pytest.approx(expected.pvalue, rel=1e-12)


def test_panelists_are_paired_by_label_and_unpaired_answers_still_count_per_round():
    before = {"a": 5, "b": 6, "c": 7, "d": None}
    after = {"a": 7, "b": 6, "c": 8, "e": 9}
    change = compare_rounds(before, after)
    assert (change.n_before, change.n_after, change.n_paired) == (3, 4, 3)
    assert (change.mean_before, change.mean_after) == (6, 7.5)
    assert change.pct_changed == pytest.approx(200 / 3)
    # Differences 2 0 1: ranks 2 and 1, both up; 1 of 4 sign patterns is as high.
    assert (change.wilcoxon_statistic, change.wilcoxon_p) == (0, 0.5)


def test_pandas_series_and_dicts_give_the_same_result():
    before = {"a": 5, "b": 6, "c": 7, "d": None}
    after = {"a": 7, "b": 6, "c": 8, "e": 9}
    as_series = compare_rounds(
        pd.Series(before, dtype="Int64"), pd.Series(after, dtype="float64")
    )
    assert as_series == compare_rounds(before, after)


def test_fewer_than_two_changed_ratings_give_no_test():
    change = compare_rounds(panel(7, 8, 9), panel(7, 8, 8))
    assert change.pct_changed == pytest.approx(100 / 3)
    assert (change.wilcoxon_statistic, change.wilcoxon_p) == (None, None)


def test_nobody_changing_gives_no_test_and_zero_percent_changed():
    change = compare_rounds(panel(7, 8, 9), panel(7, 8, 9))
    assert change.pct_changed == 0
    assert change.mean_change == 0
    assert (change.wilcoxon_statistic, change.wilcoxon_p) == (None, None)


def test_no_common_panelists_gives_no_paired_figures():
    change = compare_rounds({"a": 7}, {"b": 8})
    assert change.n_paired == 0
    assert (change.pct_changed, change.wilcoxon_p) == (None, None)
    assert change.mean_change == 1


def test_cv_change_shows_a_panel_converging():
    # Before 6 and 8: mean 7, SD sqrt(2), CV sqrt(2) / 7. After 7 and 7: CV 0.
    change = compare_rounds(panel(6, 8), panel(7, 7))
    assert change.cv_before == pytest.approx(math.sqrt(2) / 7)
    assert change.cv_after == 0
    assert change.cv_change == pytest.approx(-math.sqrt(2) / 7)


def test_an_empty_round_gives_no_changes():
    change = compare_rounds({}, panel(7, 8))
    assert change.n_before == 0
    assert change.mean_before is None and change.mean_change is None and change.cv_change is None


def test_as_dict_lists_every_field():
    flat = compare_rounds(panel(7, 8), panel(8, 9)).as_dict()
    assert flat["mean_change"] == 1
    assert list(flat)[:3] == ["n_before", "n_after", "n_paired"]


def test_a_panelist_listed_twice_is_rejected():
    with pytest.raises(ValueError, match="panelist 'a' appears twice in the before ratings"):
        compare_rounds(pd.Series([5, 6], index=["a", "a"]), {"a": 7})


def test_a_rating_off_the_scale_is_rejected():
    with pytest.raises(ValueError, match="rating 10 is outside the scale 1-9"):
        compare_rounds({"a": 7}, {"a": 10})


@given(st.lists(st.tuples(st.integers(1, 9), st.integers(1, 9)), max_size=20))
def test_swapping_the_rounds_flips_the_changes_but_not_the_test(pairs):
    before, after = (panel(*side) for side in zip(*pairs, strict=True)) if pairs else ({}, {})
    forward, backward = compare_rounds(before, after), compare_rounds(after, before)
    assert forward.mean_change == (None if backward.mean_change is None else -backward.mean_change)
    assert forward.pct_changed == backward.pct_changed
    assert forward.wilcoxon_p == backward.wilcoxon_p
