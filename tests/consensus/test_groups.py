"""The attrition-bias comparison: Mann-Whitney U between completers and dropouts, worked by hand."""

import pytest

from consensus import compare_groups


def test_two_groups_that_do_not_overlap_give_u_zero_and_the_exact_p():
    # Every rating of a is below every rating of b: U(a) = 0. With 3 and 3 ratings and no
    # ties, the exact two-sided p is 2 x 1 / C(6, 3) = 2 / 20 = 0.1.
    result = compare_groups([1, 2, 3], [4, 5, 6])
    assert (result.n_a, result.n_b, result.u) == (3, 3, 0.0)
    assert result.p == pytest.approx(0.1)
    assert (result.median_a, result.median_b, result.mean_a, result.mean_b) == (2.0, 5.0, 2.0, 5.0)


def test_u_counts_the_pairs_where_a_rates_higher_ties_counting_half():
    # Pairs (a, b): 7 against 7 is a tie (1/2); 8 and 9 beat 7 (2); 7 ties... a = 7 8 9, b = 7 9:
    # 7-7 0.5, 7-9 0, 8-7 1, 8-9 0, 9-7 1, 9-9 0.5: U = 3.
    assert compare_groups([7, 8, 9], [7, 9]).u == 3.0


def test_blanks_are_left_out_and_an_empty_group_has_no_test():
    result = compare_groups([7, None, 8], [])
    assert (result.n_a, result.n_b, result.u, result.p, result.median_b) == (2, 0, None, None, None)


def test_every_rating_the_same_has_no_test():
    assert compare_groups([7, 7], [7]).p is None
