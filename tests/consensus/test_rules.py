from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from consensus import RULES, Scale, Verdict, assess, describe, evaluate, evaluate_all, item_stats, validate_params
from consensus.rules import panel_disagreement_threshold

ratings_lists = st.lists(st.integers(1, 9), max_size=40)
# Mostly high ratings with a few of any value, so consensus is common enough to test.
mostly_high = st.tuples(
    st.lists(st.integers(6, 9), min_size=1, max_size=30), st.lists(st.integers(1, 9), max_size=3)
).map(lambda parts: parts[0] + parts[1])
any_ratings = st.one_of(ratings_lists, mostly_high)


def reasons(ratings, rule="mayo", params=None):
    return evaluate(ratings, rule, params).reasons


# --- the registry -------------------------------------------------------------


def test_the_rules_are_offered_in_the_spec_order_with_their_defaults():
    assert list(RULES) == ["mayo", "percent", "comet", "median_iqr", "rand_ucla"]
    assert {code: rule.defaults() for code, rule in RULES.items()} == {
        "mayo": {"above_neutral": 5, "mean_above": 7},
        "percent": {"percent": 75, "band_min": 7},
        "comet": {"in_percent": 70, "out_percent": 15},
        "median_iqr": {"median_min": 7, "iqr_max": 1},
        "rand_ucla": {"method": "ipras", "percentiles": "linear"},
    }


def test_defaults_follow_the_scale():
    assert RULES["mayo"].defaults(Scale(1, 5, 3)) == {"above_neutral": 3, "mean_above": 4}


# --- mayo ---------------------------------------------------------------------


def test_the_mayo_rule_is_the_default():
    assert evaluate([9, 9, 9]).rule == "mayo"


def test_a_mean_of_exactly_seven_is_not_consensus():
    verdict = evaluate([6, 6, 8, 8, 7, 7])
    assert verdict.consensus is False
    assert verdict.status == "no_consensus"
    assert verdict.reasons == ("all 6 ratings are above 5", "mean 7.00 is not above 7")


def test_a_single_rating_of_five_breaks_mayo_consensus():
    verdict = evaluate([5, 9, 9, 9, 9, 9, 9, 9, 9, 9])
    assert verdict.consensus is False
    assert verdict.reasons == (
        "min rating 5 is not above neutral 5 (1 of 10 at 5 or below)",
        "mean 8.60 is above 7",
    )


def test_all_ratings_above_neutral_and_a_mean_above_seven_is_consensus():
    verdict = evaluate([6, 7, 8, 9, 9, 9, 9, 9, 9, 9])
    assert verdict == Verdict(
        rule="mayo",
        consensus=True,
        status="consensus",
        reasons=("all 10 ratings are above 5", "mean 8.40 is above 7"),
    )


def test_a_blank_is_not_counted_as_in_the_mayo_diabetes_vignette():
    verdict = evaluate([9, 9, 9, 9, 8, 8, 8, 8, 8, None])
    assert verdict.consensus is True
    assert verdict.reasons == ("all 9 ratings are above 5", "mean 8.44 is above 7")


@pytest.mark.parametrize(
    ("reported_mean", "ratings"),
    [
        ("8.40", [9, 9, 9, 9, 9, 9, 9, 9, 6, 6]),
        ("8.30", [9, 9, 9, 9, 8, 8, 8, 8, 8, 7]),
        ("8.30", [9, 9, 9, 9, 9, 9, 9, 8, 6, 6]),
        ("8.44", [9, 9, 9, 9, 8, 8, 8, 8, 8, None]),
        ("8.50", [9, 9, 9, 9, 9, 8, 8, 8, 8, 8]),
        ("8.40", [9, 9, 9, 9, 9, 9, 8, 8, 7, 7]),
        ("8.70", [9, 9, 9, 9, 9, 9, 9, 9, 9, 6]),
    ],
)
def test_the_mayo_table_three_results_reach_consensus(reported_mean, ratings):
    verdict = evaluate(ratings)
    assert verdict.consensus is True
    assert verdict.reasons[1] == f"mean {reported_mean} is above 7"
    assert min(r for r in ratings if r is not None) >= 6


def test_mayo_thresholds_are_configurable():
    assert evaluate([7, 7, 8], params={"above_neutral": 6, "mean_above": 7.3}).consensus is True
    assert evaluate([7, 7, 8], params={"above_neutral": 7}).reasons[0] == (
        "min rating 7 is not above 7 (2 of 3 at 7 or below)"
    )


@given(any_ratings)
def test_mayo_is_all_above_neutral_and_a_mean_above_seven(ratings):
    expected = bool(ratings) and min(ratings) > 5 and Fraction(sum(ratings), len(ratings)) > 7
    assert evaluate(ratings).consensus is expected


# --- percent ------------------------------------------------------------------


def test_exactly_seventy_five_percent_in_the_top_band_is_consensus():
    verdict = evaluate([7, 8, 9, 1], "percent")
    assert verdict.status == "consensus"
    assert verdict.reasons == ("3 of 4 ratings (75%) are 7 or higher, meeting the 75% needed",)


def test_just_under_seventy_five_percent_is_not_consensus():
    # 14 of 19 is 73.7%.
    verdict = evaluate([9] * 14 + [6] * 5, "percent")
    assert verdict.status == "no_consensus"
    assert verdict.reasons == ("14 of 19 ratings (73.7%) are 7 or higher, short of the 75% needed",)


def test_percent_threshold_and_band_are_configurable():
    assert evaluate([6, 6, 9, 1], "percent", {"percent": 75, "band_min": 6}).consensus is True
    assert evaluate([6, 6, 9, 1], "percent", {"percent": 80, "band_min": 6}).consensus is False


@given(any_ratings.filter(bool))
def test_percent_is_the_share_of_ratings_of_seven_or_more(ratings):
    share = Fraction(sum(r >= 7 for r in ratings), len(ratings))
    assert evaluate(ratings, "percent").consensus is (share >= Fraction(3, 4))


# --- comet --------------------------------------------------------------------


def test_seventy_percent_in_the_top_band_and_few_low_ratings_is_consensus_in():
    verdict = evaluate([7, 7, 8, 8, 9, 9, 9, 5, 5, 2], "comet")
    assert (verdict.status, verdict.consensus) == ("consensus_in", True)
    assert verdict.reasons == (
        "7 of 10 ratings (70%) are in 7-9, at least the 70% needed to include",
        "1 of 10 ratings (10%) is in 1-3, under the 15% allowed to include",
    )


def test_fifteen_percent_in_the_bottom_band_blocks_consensus_in():
    # 14 of 20 (70%) rate 7-9 but 3 of 20 (exactly 15%) rate 1-3.
    verdict = evaluate([8] * 14 + [5] * 3 + [2] * 3, "comet")
    assert verdict.status == "no_consensus"
    assert verdict.reasons[1] == "3 of 20 ratings (15%) are in 1-3, not under the 15% allowed to include"


def test_the_mirror_image_is_consensus_out_which_is_not_consensus():
    verdict = evaluate([1, 1, 2, 2, 3, 3, 3, 5, 5, 8], "comet")
    assert (verdict.status, verdict.consensus) == ("consensus_out", False)
    assert verdict.reasons == (
        "1 of 10 ratings (10%) is in 7-9, short of the 70% needed to include",
        "7 of 10 ratings (70%) are in 1-3, at least the 70% needed to exclude",
        "1 of 10 ratings (10%) is in 7-9, under the 15% allowed to exclude",
    )


def test_a_split_panel_is_no_consensus_under_comet():
    verdict = evaluate([1, 2, 3, 4, 5, 6, 7, 8, 9], "comet")
    assert verdict.status == "no_consensus"
    assert verdict.reasons == (
        "3 of 9 ratings (33.3%) are in 7-9, short of the 70% needed to include",
        "3 of 9 ratings (33.3%) are in 1-3, short of the 70% needed to exclude",
    )


@given(any_ratings.filter(bool))
def test_comet_matches_its_definition(ratings):
    n = len(ratings)
    top = Fraction(sum(r >= 7 for r in ratings), n)
    bottom = Fraction(sum(r <= 3 for r in ratings), n)
    if top >= Fraction(7, 10) and bottom < Fraction(15, 100):
        expected = "consensus_in"
    elif bottom >= Fraction(7, 10) and top < Fraction(15, 100):
        expected = "consensus_out"
    else:
        expected = "no_consensus"
    assert evaluate(ratings, "comet").status == expected


# --- median_iqr ---------------------------------------------------------------


def test_a_median_of_seven_and_an_iqr_of_one_is_consensus():
    # 7 7 8 8: P25 at 0.75 -> 7, P75 at 2.25 -> 8, median 7.5.
    verdict = evaluate([8, 7, 8, 7], "median_iqr")
    assert verdict.status == "consensus"
    assert verdict.reasons == ("median 7.5 is at least 7", "IQR 1 is at most 1")


def test_an_iqr_above_one_is_not_consensus():
    # 7 7 8 9: P75 at 2.25 -> 8 + 0.25 * (9 - 8) = 8.25, IQR 1.25.
    verdict = evaluate([7, 7, 8, 9], "median_iqr")
    assert verdict.status == "no_consensus"
    assert verdict.reasons == ("median 7.5 is at least 7", "IQR 1.25 is above 1")


def test_a_median_below_seven_is_not_consensus():
    assert evaluate([6, 6, 6, 7], "median_iqr").reasons[0] == "median 6 is below 7"


def test_median_iqr_is_not_monotone_raising_a_rating_can_widen_the_iqr():
    # Why the monotonicity property below covers mayo and percent only.
    assert evaluate([7, 7, 8, 8], "median_iqr").consensus is True
    assert evaluate([7, 7, 8, 9], "median_iqr").consensus is False


# --- rand_ucla ----------------------------------------------------------------


def test_rand_ucla_reproduces_a_published_worked_example():
    # BMJ Open 2012;2:e001431, Table 1: 15 ratings, one each of 4, 5, 6, five 7s,
    # five 8s, two 9s. Sorted positions 0-14; P30 at 0.3 * 14 = 4.2 -> 7,
    # P70 at 9.8 -> 8, IPR 1, IPRCP 7.5, AI 2.5, IPRAS 2.35 + 3.75 = 6.1.
    # (The paper prints the constant as 2.5 but its 6.1 comes from 2.35.)
    ratings = [4, 5, 6] + [7] * 5 + [8] * 5 + [9] * 2
    verdict = evaluate(ratings, "rand_ucla")
    assert (verdict.status, verdict.consensus) == ("appropriate", True)
    assert verdict.reasons == (
        "median 7 is in 7-9 (appropriate)",
        "P30 7 and P70 8 give IPR 1, not above IPRAS 6.1: no disagreement",
    )


def test_rand_ucla_finds_disagreement_by_ipras_on_interpolated_percentiles():
    # Sorted 4 4 4 4 7 7 9 9 9 9 (n 10): median (7 + 7) / 2 = 7.
    # P30 at 0.3 * 9 = 2.7, between 4 and 4 -> 4; P70 at 6.3, between 9 and 9 -> 9.
    # IPR 5; IPRCP 6.5; AI |5 - 6.5| = 1.5; IPRAS 2.35 + 1.5 * 1.5 = 4.6 < 5.
    verdict = evaluate([9, 4, 7, 9, 4, 9, 4, 7, 9, 4], "rand_ucla")
    assert (verdict.status, verdict.consensus) == ("uncertain", False)
    assert verdict.reasons == (
        "median 7 is in 7-9 (appropriate)",
        "P30 4 and P70 9 give IPR 5, above IPRAS 4.6: disagreement",
        "an item with disagreement is uncertain",
    )


def test_the_panel_size_method_sees_no_disagreement_in_the_same_ratings():
    # No rating in 1-3, so not 3 in each extreme third of a panel of 10.
    verdict = evaluate([9, 4, 7, 9, 4, 9, 4, 7, 9, 4], "rand_ucla", {"method": "panel_size"})
    assert verdict.status == "appropriate"
    assert verdict.reasons[1] == (
        "0 ratings in 1-3 and 6 in 7-9; a panel of 10 disagrees with at least 3 in each: "
        "no disagreement"
    )


def test_rand_ucla_interpolates_p30_between_ratings():
    # Sorted 1 2 3 7 7 8 8 9 9 (n 9): P30 at 0.3 * 8 = 2.4 -> 3 + 0.4 * (7 - 3) = 4.6;
    # P70 at 5.6 -> 8 + 0.6 * (8 - 8) = 8. IPR 3.4; IPRCP 6.3; AI 1.3;
    # IPRAS 2.35 + 1.95 = 4.3, so no disagreement and the median 7 is appropriate.
    verdict = evaluate([1, 2, 3, 7, 7, 8, 8, 9, 9], "rand_ucla")
    assert verdict.status == "appropriate"
    assert verdict.reasons[1] == "P30 4.6 and P70 8 give IPR 3.4, not above IPRAS 4.3: no disagreement"


def test_the_panel_size_method_finds_three_and_three_in_a_panel_of_nine_a_disagreement():
    verdict = evaluate([1, 2, 3, 7, 7, 8, 8, 9, 9], "rand_ucla", {"method": "panel_size"})
    assert verdict.status == "uncertain"
    assert verdict.reasons[1:] == (
        "3 ratings in 1-3 and 6 in 7-9; a panel of 9 disagrees with at least 3 in each: disagreement",
        "an item with disagreement is uncertain",
    )


def test_an_ipr_exactly_equal_to_the_ipras_is_not_disagreement():
    # Sorted 1 1 1 1 6 6 7 7 7 8 8 8 8 (n 13): P30 at 3.6 -> 1 + 0.6 * 5 = 4,
    # P70 at 8.4 -> 7 + 0.4 * 1 = 7.4. IPR 3.4; IPRCP 5.7; AI 0.7;
    # IPRAS 2.35 + 1.05 = 3.4. Plain float arithmetic makes IPR 3.4000000000000004
    # and IPRAS 3.3999999999999977, which would wrongly call this disagreement.
    verdict = evaluate([1, 1, 1, 1, 6, 6, 7, 7, 7, 8, 8, 8, 8], "rand_ucla")
    assert verdict.status == "appropriate"
    assert verdict.reasons[1] == "P30 4 and P70 7.4 give IPR 3.4, not above IPRAS 3.4: no disagreement"


# The case 1 1 2 7 7 7 7 7 7: the linear definition is the most lenient
# of the common ones.
LENIENT_CASE = [1, 1, 2, 7, 7, 7, 7, 7, 7]


def test_by_linear_percentiles_1_1_2_7_7_7_7_7_7_is_appropriate():
    # Type 7: P30 at h = 0.3 x 8 = 2.4 -> x[2] + 0.4 (x[3] - x[2]) = 2 + 0.4 x 5 = 4;
    # P70 at 5.6 -> 7. IPR 3, IPRCP 5.5, AI 0.5, IPRAS 2.35 + 0.75 = 3.1: 3 is not above 3.1.
    verdict = evaluate(LENIENT_CASE, "rand_ucla", {"percentiles": "linear"})
    assert verdict.status == "appropriate"
    assert verdict.reasons[1] == "P30 4 and P70 7 give IPR 3, not above IPRAS 3.1: no disagreement"


def test_by_spss_percentiles_1_1_2_7_7_7_7_7_7_is_uncertain():
    # Type 6: position (n + 1) p = 10 x 0.3 = 3 -> the 3rd rating, 2; 10 x 0.7 = 7 -> the 7th, 7.
    # IPR 5, IPRCP 4.5, AI 0.5, IPRAS 3.1: 5 is above 3.1, disagreement, so uncertain.
    verdict = evaluate(LENIENT_CASE, "rand_ucla", {"percentiles": "spss"})
    assert verdict.status == "uncertain"
    assert verdict.reasons[1] == "P30 2 and P70 7 give IPR 5, above IPRAS 3.1: disagreement"
    assert verdict.reasons[2] == "an item with disagreement is uncertain"


def test_by_panel_size_1_1_2_7_7_7_7_7_7_is_uncertain_too():
    # Three ratings in 1-3 and six in 7-9; a panel of 9 needs 3 in each third: disagreement.
    verdict = evaluate(LENIENT_CASE, "rand_ucla", {"method": "panel_size"})
    assert verdict.status == "uncertain"


def test_spss_percentiles_interpolate_between_ratings_too():
    # 1 2 3 7 7 8 8 9 9: type 6 P30 at 3.0 -> 3; P70 at 7.0 -> 8. IPR 5, IPRCP 5.5,
    # AI 0.5, IPRAS 3.1: disagreement. Type 7 gave P30 4.6, IPR 3.4 against 4.3: none.
    verdict = evaluate([1, 2, 3, 7, 7, 8, 8, 9, 9], "rand_ucla", {"percentiles": "spss"})
    assert verdict.reasons[1] == "P30 3 and P70 8 give IPR 5, above IPRAS 3.1: disagreement"
    # With ten ratings type 6 interpolates: 4 4 4 7 7 8 8 9 9 9, P30 at 3.3 -> 4 + 0.3 x 3 = 4.9,
    # P70 at 7.7 -> 8 + 0.7 x 1 = 8.7; IPR 3.8, IPRCP 6.8, AI 1.8, IPRAS 2.35 + 2.7 = 5.05.
    verdict = evaluate([4, 4, 4, 7, 7, 8, 8, 9, 9, 9], "rand_ucla", {"percentiles": "spss"})
    assert verdict.reasons[1] == "P30 4.9 and P70 8.7 give IPR 3.8, not above IPRAS 5.05: no disagreement"


def test_a_percentile_definition_the_rule_does_not_know_is_refused():
    with pytest.raises(ValueError, match="parameter percentiles of rule rand_ucla must be one of linear, spss"):
        evaluate([7, 8, 9], "rand_ucla", {"percentiles": "type5"})


def test_a_median_in_the_bottom_band_without_disagreement_is_inappropriate():
    # Sorted 1 1 2 2 2 3 3 4 5: median 2; P30 at 2.4 -> 2; P70 at 5.6 -> 3;
    # IPR 1, IPRCP 2.5, AI 2.5, IPRAS 6.1.
    verdict = evaluate([1, 1, 2, 2, 2, 3, 3, 4, 5], "rand_ucla")
    assert (verdict.status, verdict.consensus) == ("inappropriate", False)
    assert verdict.reasons[0] == "median 2 is in 1-3 (inappropriate)"


def test_a_median_in_the_middle_band_is_uncertain():
    assert evaluate([4, 5, 5, 6, 6], "rand_ucla").reasons[0] == "median 5 is in 4-6 (uncertain)"


def test_a_median_between_two_bands_is_uncertain():
    verdict = evaluate([6] * 5 + [7] * 5, "rand_ucla")
    assert verdict.status == "uncertain"
    assert verdict.reasons[0] == "median 6.5 is between 4-6 and 7-9 (uncertain)"


@pytest.mark.parametrize(
    ("panel", "needed"),
    [(8, 3), (9, 3), (10, 3), (11, 4), (12, 4), (13, 4), (14, 5), (15, 5), (16, 5)],
)
def test_the_panel_size_threshold_reproduces_the_rand_ucla_table(panel, needed):
    assert panel_disagreement_threshold(panel) == needed


@pytest.mark.parametrize(("panel", "needed"), [(1, 1), (2, 1), (5, 2), (7, 2), (17, 6), (20, 7), (30, 10)])
def test_the_panel_size_threshold_extends_the_table_proportionally(panel, needed):
    assert panel_disagreement_threshold(panel) == needed


def test_a_panel_of_eleven_needs_four_ratings_in_each_extreme_third():
    four_low = [1, 2, 3, 3, 5, 7, 8, 8, 9, 9, 9]
    three_low = [1, 2, 3, 5, 5, 7, 8, 8, 9, 9, 9]
    assert evaluate(four_low, "rand_ucla", {"method": "panel_size"}).status == "uncertain"
    assert evaluate(three_low, "rand_ucla", {"method": "panel_size"}).status == "appropriate"


def _type7(sorted_ratings, q):
    position = Fraction(len(sorted_ratings) - 1) * Fraction(q, 100)
    below = int(position)
    above = min(below + 1, len(sorted_ratings) - 1)
    low = sorted_ratings[below]
    return low + (position - below) * (sorted_ratings[above] - low)


@given(any_ratings.filter(bool))
def test_ipras_disagreement_matches_exact_arithmetic(ratings):
    ordered = sorted(ratings)
    p30, p70 = _type7(ordered, 30), _type7(ordered, 70)
    ipras = Fraction(235, 100) + Fraction(3, 2) * abs(5 - (p30 + p70) / 2)
    disagreement = evaluate(ratings, "rand_ucla").reasons[1].endswith(": disagreement")
    assert disagreement is (p70 - p30 > ipras)


# --- every rule ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "status"),
    [
        ("mayo", "no_consensus"),
        ("percent", "no_consensus"),
        ("comet", "no_consensus"),
        ("median_iqr", "no_consensus"),
        ("rand_ucla", "uncertain"),
    ],
)
def test_no_ratings_is_never_consensus(rule, status):
    assert evaluate([None, None], rule) == Verdict(rule, False, status, ("no ratings",))


def test_evaluate_all_runs_every_rule_with_its_defaults():
    verdicts = evaluate_all([7, 7, 7, 7, 7, 7, 7, 7, 7, 7])
    assert list(verdicts) == list(RULES)
    assert {code: v.consensus for code, v in verdicts.items()} == {
        "mayo": False,
        "percent": True,
        "comet": True,
        "median_iqr": True,
        "rand_ucla": True,
    }
    assert all(v == evaluate([7] * 10, code) for code, v in verdicts.items())


def test_a_verdict_turns_into_a_plain_dict():
    assert evaluate([9, 9]).as_dict() == {
        "rule": "mayo",
        "consensus": True,
        "status": "consensus",
        "reasons": ["all 2 ratings are above 5", "mean 9.00 is above 7"],
    }


@given(st.data(), any_ratings)
def test_no_rule_depends_on_answer_order(data, ratings):
    shuffled = data.draw(st.permutations(ratings))
    assert evaluate_all(shuffled) == evaluate_all(ratings)
    assert evaluate(shuffled, "rand_ucla", {"method": "panel_size"}) == evaluate(
        ratings, "rand_ucla", {"method": "panel_size"}
    )


@given(st.data(), any_ratings, st.integers(1, 5))
def test_adding_a_blank_never_changes_a_verdict(data, ratings, blanks):
    with_blanks = list(ratings)
    for _ in range(blanks):
        with_blanks.insert(data.draw(st.integers(0, len(with_blanks))), None)
    assert evaluate_all(with_blanks) == evaluate_all(ratings)


@pytest.mark.parametrize("rule", ["mayo", "percent"])
@given(data=st.data(), ratings=mostly_high)
def test_raising_one_rating_never_loses_consensus(rule, data, ratings):
    assume(evaluate(ratings, rule).consensus)
    index = data.draw(st.integers(0, len(ratings) - 1))
    raised = list(ratings)
    raised[index] = data.draw(st.integers(ratings[index], 9))
    assert evaluate(raised, rule).consensus


# --- validate_params ----------------------------------------------------------


def test_validate_params_fills_in_defaults():
    assert validate_params("mayo", {"mean_above": 7.5}, Scale()) == {"above_neutral": 5, "mean_above": 7.5}
    assert validate_params("rand_ucla", None, Scale()) == {"method": "ipras", "percentiles": "linear"}


@pytest.mark.parametrize(
    ("rule", "params", "message"),
    [
        ("delphi", {}, "unknown consensus rule 'delphi'; choose one of mayo, percent"),
        ("mayo", {"mean": 7}, "unknown parameter 'mean' for rule mayo; allowed: above_neutral, mean_above"),
        ("mayo", {"mean_above": "7"}, "parameter mean_above of rule mayo must be a number, got '7'"),
        ("mayo", {"mean_above": True}, "parameter mean_above of rule mayo must be a number"),
        ("mayo", {"mean_above": float("nan")}, "parameter mean_above of rule mayo must be a number"),
        ("mayo", {"mean_above": 10}, "parameter mean_above of rule mayo must be between 1 and 9, got 10"),
        # Past a float's range: math.isfinite() and the message's :g both overflowed.
        ("mayo", {"mean_above": -(10**400)}, r"must be between 1 and 9, got -1e\+400$"),
        ("mayo", {"mean_above": float("-inf")}, "parameter mean_above of rule mayo must be a number, got -inf"),
        ("mayo", {"above_neutral": 0}, "parameter above_neutral of rule mayo must be between 1 and 9"),
        ("percent", {"percent": 120}, "parameter percent of rule percent must be between 0 and 100, got 120"),
        ("percent", {"band_min": None}, "parameter band_min of rule percent must be a number"),
        ("comet", {"in_percent": -1}, "parameter in_percent of rule comet must be between 0 and 100"),
        ("comet", {"out_percent": 80}, r"parameter out_percent \(80\) must not exceed in_percent \(70\)"),
        ("median_iqr", {"iqr_max": -0.5}, "parameter iqr_max of rule median_iqr must be between 0 and 8"),
        ("rand_ucla", {"method": "vote"}, "parameter method of rule rand_ucla must be one of ipras"),
    ],
)
def test_validate_params_rejects_bad_params_naming_the_parameter(rule, params, message):
    with pytest.raises(ValueError, match=message):
        validate_params(rule, params, Scale())


def test_evaluate_validates_params_too():
    with pytest.raises(ValueError, match="percent of rule percent"):
        evaluate([9], "percent", {"percent": 101})


def test_ranges_follow_the_scale():
    with pytest.raises(ValueError, match="between 1 and 5, got 7"):
        validate_params("mayo", {"mean_above": 7}, Scale(1, 5, 3))


# --- describe -----------------------------------------------------------------


def test_describe_puts_the_mayo_rule_in_plain_words():
    assert describe("mayo", {}) == "all ratings above 5 and a mean above 7"
    assert describe("mayo", {"mean_above": 7.5}) == "all ratings above 5 and a mean above 7.5"


@pytest.mark.parametrize(
    ("rule", "params", "text"),
    [
        ("percent", {}, "at least 75% of ratings 7 or higher"),
        ("percent", {"percent": 80, "band_min": 8}, "at least 80% of ratings 8 or higher"),
        (
            "comet",
            {},
            "consensus in when at least 70% rate 7-9 and under 15% rate 1-3, "
            "consensus out when at least 70% rate 1-3 and under 15% rate 7-9",
        ),
        ("median_iqr", {}, "a median of at least 7 and an interquartile range of at most 1"),
        (
            "rand_ucla",
            {},
            "rated appropriate by the RAND/UCLA method: a median in 7-9 and no disagreement, "
            "that is an interpercentile range (P70 - P30) no wider than the IPRAS, "
            "percentiles by linear interpolation (Hyndman-Fan type 7, R's default)",
        ),
        (
            "rand_ucla",
            {"method": "panel_size"},
            "rated appropriate by the RAND/UCLA method: a median in 7-9 and no disagreement, "
            "that is not both a third of the panel (3 of 8-10, 4 of 11-13, 5 of 14-16) "
            "rating 1-3 and as many rating 7-9",
        ),
    ],
)
def test_describe_gives_one_plain_sentence_per_rule(rule, params, text):
    assert describe(rule, params) == text


def test_describe_follows_the_scale():
    assert describe("comet", None, Scale(1, 7, 4)).startswith("consensus in when at least 70% rate 6-7")


def test_describe_rejects_bad_params():
    with pytest.raises(ValueError, match="unknown parameter 'x'"):
        describe("mayo", {"x": 1})


def test_assess_gives_the_same_verdict_as_evaluate_and_the_items_statistics():
    ratings = [9, 8, 8, 7, 6, None]

    stats, verdict = assess(ratings, "mayo")

    assert verdict == evaluate(ratings, "mayo")
    assert stats == item_stats(ratings)
