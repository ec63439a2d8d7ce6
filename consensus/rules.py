"""Consensus definitions (SPEC 3): does one item's set of ratings reach consensus?

Past 400 lines on purpose: each of the five rules is a judge and a
description in plain words, with its parameters checked against the scale,
and the registry at the end is the one list of rules the platform offers
(Study.consensus_rule reads it). Split across files, a rule's judge would
sit apart from the words that tell a facilitator what it judges.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from consensus.rounding import fixed, short
from consensus.scale import Ratings, Scale, clean_ratings
from consensus.stats import PERCENTILE_METHODS, ItemStats, drop_float_noise, percentile, stats_of_clean

Params = dict[str, Any]


@dataclass(frozen=True)
class Verdict:
    rule: str
    consensus: bool
    status: str
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "consensus": self.consensus,
            "status": self.status,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Param:
    """One tunable threshold of a rule; defaults and bounds may depend on the scale."""

    name: str
    default: Callable[[Scale], Any]
    bounds: Callable[[Scale], tuple[float, float]] | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    # The name in a table's header, beside the other rules.
    short_name: str
    source: str
    params: tuple[Param, ...]
    judge: Callable[[np.ndarray, ItemStats, Params, Scale], tuple[str, list[str]]]
    describe: Callable[[Params, Scale], str]
    consensus_status: str
    # With no ratings every rule reports its own "nothing reached" status.
    empty_status: str
    # Constraints between parameters, beyond each one's own range.
    check_together: Callable[[Params], None] | None = None

    def defaults(self, scale: Scale = Scale()) -> Params:
        return {param.name: param.default(scale) for param in self.params}


def _num(value: float) -> str:
    """A number as a facilitator reads it: 7, 7.5, 8.44 (never 7.0), 1e+400."""
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        # :g turns a whole number into a float, which overflows past 1.8e308.
        return f"{Decimal(value).normalize():.6g}"
    if abs(value) >= 1e15:
        return f"{value:.6g}"
    return short(value)


def _band(band: tuple[int, int]) -> str:
    return f"{band[0]}-{band[1]}"


def _share(count: int, n: int) -> str:
    """Count and percent of n, such as '7 of 10 ratings (70%) are'; the verb agrees."""
    verb = "is" if count == 1 else "are"
    return f"{count} of {n} ratings ({short(100 * count / n, 1)}%) {verb}"


def _in_band(x: np.ndarray, band: tuple[int, int]) -> int:
    return int(np.count_nonzero((x >= band[0]) & (x <= band[1])))


def _at_least_percent(count: int, n: int, percent: float) -> bool:
    # Cross-multiplied so 7 of 10 is exactly 70%, free of float rounding.
    return count * 100 >= percent * n


def _scale_range(scale: Scale) -> tuple[float, float]:
    return scale.min, scale.max


def _percent_range(scale: Scale) -> tuple[float, float]:
    return 0, 100


def _top_start(scale: Scale) -> int:
    return scale.bands()[2][0]


# --- mayo ---------------------------------------------------------------------


def _judge_mayo(x: np.ndarray, s: ItemStats, p: Params, scale: Scale) -> tuple[str, list[str]]:
    floor, mean_above = p["above_neutral"], p["mean_above"]
    n, mean = s.n, s.mean
    assert mean is not None and s.min is not None
    label = f"neutral {_num(floor)}" if floor == scale.neutral else _num(floor)
    reasons = []
    all_above = s.min > floor
    if all_above:
        reasons.append(f"all {n} ratings are above {_num(floor)}")
    else:
        at_or_below = int(np.count_nonzero(x <= floor))
        reasons.append(
            f"min rating {_num(s.min)} is not above {label} "
            f"({at_or_below} of {n} at {_num(floor)} or below)"
        )
    mean_ok = mean > mean_above
    reasons.append(f"mean {fixed(mean)} is {'' if mean_ok else 'not '}above {_num(mean_above)}")
    return ("consensus" if all_above and mean_ok else "no_consensus"), reasons


def _describe_mayo(p: Params, scale: Scale) -> str:
    return f"all ratings above {_num(p['above_neutral'])} and a mean above {_num(p['mean_above'])}"


# --- percent ------------------------------------------------------------------


def _judge_percent(x: np.ndarray, s: ItemStats, p: Params, scale: Scale) -> tuple[str, list[str]]:
    band_min, needed = p["band_min"], p["percent"]
    count = int(np.count_nonzero(x >= band_min))
    ok = _at_least_percent(count, s.n, needed)
    verdict = "meeting" if ok else "short of"
    reason = f"{_share(count, s.n)} {_num(band_min)} or higher, {verdict} the {_num(needed)}% needed"
    return ("consensus" if ok else "no_consensus"), [reason]


def _describe_percent(p: Params, scale: Scale) -> str:
    return f"at least {_num(p['percent'])}% of ratings {_num(p['band_min'])} or higher"


# --- comet --------------------------------------------------------------------


def _judge_comet(x: np.ndarray, s: ItemStats, p: Params, scale: Scale) -> tuple[str, list[str]]:
    low, _, high = scale.bands()
    needed, allowed = p["in_percent"], p["out_percent"]
    n = s.n
    n_high, n_low = _in_band(x, high), _in_band(x, low)

    def side(count: int, band: tuple[int, int], goal: str) -> str:
        verdict = "at least" if _at_least_percent(count, n, needed) else "short of"
        return f"{_share(count, n)} in {_band(band)}, {verdict} the {_num(needed)}% needed to {goal}"

    def guard(count: int, band: tuple[int, int], goal: str) -> str:
        verdict = "under" if not _at_least_percent(count, n, allowed) else "not under"
        return f"{_share(count, n)} in {_band(band)}, {verdict} the {_num(allowed)}% allowed to {goal}"

    checked: list[str] = []
    for count, other, band, other_band, goal, status in (
        (n_high, n_low, high, low, "include", "consensus_in"),
        (n_low, n_high, low, high, "exclude", "consensus_out"),
    ):
        reasons = [side(count, band, goal)]
        if _at_least_percent(count, n, needed):
            reasons.append(guard(other, other_band, goal))
            if not _at_least_percent(other, n, allowed):
                return status, checked + reasons
        checked += reasons
    return "no_consensus", checked


def _describe_comet(p: Params, scale: Scale) -> str:
    low, _, high = (_band(band) for band in scale.bands())
    i, o = _num(p["in_percent"]), _num(p["out_percent"])
    return (
        f"consensus in when at least {i}% rate {high} and under {o}% rate {low}, "
        f"consensus out when at least {i}% rate {low} and under {o}% rate {high}"
    )


def _check_comet(p: Params) -> None:
    # With out above in, one item could be both "in" and "out" at once.
    if p["out_percent"] > p["in_percent"]:
        raise ValueError(
            f"parameter out_percent ({_num(p['out_percent'])}) must not exceed "
            f"in_percent ({_num(p['in_percent'])}) for rule comet"
        )


# --- median_iqr ---------------------------------------------------------------


def _judge_median_iqr(x: np.ndarray, s: ItemStats, p: Params, scale: Scale) -> tuple[str, list[str]]:
    assert s.median is not None and s.iqr is not None
    median_ok = s.median >= p["median_min"]
    iqr_ok = s.iqr <= p["iqr_max"]
    reasons = [
        f"median {_num(s.median)} is {'at least' if median_ok else 'below'} {_num(p['median_min'])}",
        f"IQR {_num(s.iqr)} is {'at most' if iqr_ok else 'above'} {_num(p['iqr_max'])}",
    ]
    return ("consensus" if median_ok and iqr_ok else "no_consensus"), reasons


def _describe_median_iqr(p: Params, scale: Scale) -> str:
    return (
        f"a median of at least {_num(p['median_min'])} "
        f"and an interquartile range of at most {_num(p['iqr_max'])}"
    )


# --- rand_ucla ----------------------------------------------------------------

# Fitch et al. 2001 (RAND MR-1269): IPRAS = 2.35 + 1.5 * AI, calibrated on the 1-9 scale.
IPRAS_BASE = 2.35
IPRAS_ASYMMETRY_FACTOR = 1.5


def panel_disagreement_threshold(n: int) -> int:
    """How many panelists must rate in each extreme third for disagreement.

    The RAND/UCLA table gives 3 for panels of 8-10, 4 for 11-13 and 5 for
    14-16; (n + 1) // 3 reproduces every row and extends it to other sizes.
    """
    return max(1, (n + 1) // 3)


def _judge_rand_ucla(x: np.ndarray, s: ItemStats, p: Params, scale: Scale) -> tuple[str, list[str]]:
    assert s.median is not None
    low, mid, high = scale.bands()
    median = s.median
    if median >= high[0]:
        by_median, where = "appropriate", f"in {_band(high)}"
    elif median <= low[1]:
        by_median, where = "inappropriate", f"in {_band(low)}"
    elif mid[0] <= median <= mid[1]:
        by_median, where = "uncertain", f"in {_band(mid)}"
    else:
        # An even panel can give a median such as 6.5, between two bands.
        lower, upper = (mid, high) if median > mid[1] else (low, mid)
        by_median, where = "uncertain", f"between {_band(lower)} and {_band(upper)}"
    reasons = [f"median {_num(median)} is {where} ({by_median})"]

    if p["method"] == "ipras":
        p30, p70 = percentile(x, 30, p["percentiles"]), percentile(x, 70, p["percentiles"])
        ipr = drop_float_noise(p70 - p30)
        asymmetry = abs(scale.midpoint - (p30 + p70) / 2)
        ipras = drop_float_noise(IPRAS_BASE + IPRAS_ASYMMETRY_FACTOR * asymmetry)
        disagreement = ipr > ipras
        reasons.append(
            f"P30 {_num(p30)} and P70 {_num(p70)} give IPR {_num(ipr)}, "
            f"{'above' if disagreement else 'not above'} IPRAS {_num(ipras)}: "
            f"{'disagreement' if disagreement else 'no disagreement'}"
        )
    else:
        needed = panel_disagreement_threshold(s.n)
        n_low, n_high = _in_band(x, low), _in_band(x, high)
        disagreement = n_low >= needed and n_high >= needed
        reasons.append(
            f"{n_low} ratings in {_band(low)} and {n_high} in {_band(high)}; "
            f"a panel of {s.n} disagrees with at least {needed} in each: "
            f"{'disagreement' if disagreement else 'no disagreement'}"
        )
    if disagreement and by_median != "uncertain":
        reasons.append("an item with disagreement is uncertain")
    return ("uncertain" if disagreement else by_median), reasons


PERCENTILE_WORDS = {
    "linear": "linear interpolation (Hyndman-Fan type 7, R's default)",
    "spss": "SPSS's definition (Hyndman-Fan type 6)",
}


def _describe_rand_ucla(p: Params, scale: Scale) -> str:
    low, _, high = (_band(band) for band in scale.bands())
    if p["method"] == "ipras":
        agreement = (
            "an interpercentile range (P70 - P30) no wider than the IPRAS, "
            f"percentiles by {PERCENTILE_WORDS[p['percentiles']]}"
        )
    else:
        agreement = (
            f"not both a third of the panel (3 of 8-10, 4 of 11-13, 5 of 14-16) rating {low} "
            f"and as many rating {high}"
        )
    return (
        f"rated appropriate by the RAND/UCLA method: a median in {high} and no disagreement, "
        f"that is {agreement}"
    )


# --- registry -----------------------------------------------------------------

RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            code="mayo",
            name="All ratings above neutral and mean above a threshold (Mayo)",
            short_name="Mayo",
            source=(
                "Mayo Clinic Depression Center modified Delphi study, "
                "J Clin Psychiatry 2026;87(1):25cs16066"
            ),
            params=(
                Param("above_neutral", lambda scale: scale.neutral, _scale_range),
                Param("mean_above", _top_start, _scale_range),
            ),
            judge=_judge_mayo,
            describe=_describe_mayo,
            consensus_status="consensus",
            empty_status="no_consensus",
        ),
        Rule(
            code="percent",
            name="Percentage of ratings in the top band",
            short_name="Percent in top band",
            source="Diamond et al. 2014, J Clin Epidemiol 67:401",
            params=(
                Param("percent", lambda scale: 75, _percent_range),
                Param("band_min", _top_start, _scale_range),
            ),
            judge=_judge_percent,
            describe=_describe_percent,
            consensus_status="consensus",
            empty_status="no_consensus",
        ),
        Rule(
            code="comet",
            name="COMET: consensus in / out",
            short_name="COMET",
            source="COMET initiative (Williamson et al., COMET Handbook)",
            params=(
                Param("in_percent", lambda scale: 70, _percent_range),
                Param("out_percent", lambda scale: 15, _percent_range),
            ),
            judge=_judge_comet,
            describe=_describe_comet,
            consensus_status="consensus_in",
            empty_status="no_consensus",
            check_together=_check_comet,
        ),
        Rule(
            code="median_iqr",
            name="Median and interquartile range",
            short_name="Median and IQR",
            source="common Delphi practice",
            params=(
                Param("median_min", _top_start, _scale_range),
                Param("iqr_max", lambda scale: 1, lambda scale: (0, scale.max - scale.min)),
            ),
            judge=_judge_median_iqr,
            describe=_describe_median_iqr,
            consensus_status="consensus",
            empty_status="no_consensus",
        ),
        Rule(
            code="rand_ucla",
            name="RAND/UCLA appropriateness",
            short_name="RAND/UCLA",
            source=(
                "Fitch et al. 2001, The RAND/UCLA Appropriateness Method User's Manual, "
                "RAND MR-1269"
            ),
            params=(
                Param("method", lambda scale: "ipras", choices=("ipras", "panel_size")),
                Param("percentiles", lambda scale: "linear", choices=tuple(PERCENTILE_METHODS)),
            ),
            judge=_judge_rand_ucla,
            describe=_describe_rand_ucla,
            consensus_status="appropriate",
            empty_status="uncertain",
        ),
    )
}


def _rule(code: str) -> Rule:
    try:
        return RULES[code]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown consensus rule {code!r}; choose one of {', '.join(RULES)}"
        ) from None


def validate_params(rule: str, params: Params | None, scale: Scale = Scale()) -> Params:
    """Return the rule's full parameters, defaults filled in, or raise ValueError."""
    spec = _rule(rule)
    if scale.neutral is None:
        raise ValueError(f"consensus rules need a Likert scale with a neutral point, not the forced-choice {scale}")
    given = dict(params or {})
    known = {param.name: param for param in spec.params}
    # key=str: a study file's mapping may mix text and number keys.
    unknown = sorted(set(given) - set(known), key=str)
    if unknown:
        raise ValueError(
            f"unknown parameter {unknown[0]!r} for rule {rule}; "
            f"allowed: {', '.join(known) or 'none'}"
        )
    full = spec.defaults(scale)
    for name, value in given.items():
        full[name] = _checked(rule, known[name], value, scale)
    if spec.check_together:
        spec.check_together(full)
    return full


def _checked(rule: str, param: Param, value: Any, scale: Scale) -> Any:
    if param.choices:
        if value not in param.choices:
            raise ValueError(
                f"parameter {param.name} of rule {rule} must be one of "
                f"{', '.join(param.choices)}, got {value!r}"
            )
        return value
    # bool is a subclass of int, but True is never a meant threshold. A whole
    # number is finite, and math.isfinite() cannot take one past a float's range.
    if isinstance(value, bool) or not isinstance(value, int | float) or (
        isinstance(value, float) and not math.isfinite(value)
    ):
        raise ValueError(f"parameter {param.name} of rule {rule} must be a number, got {value!r}")
    assert param.bounds is not None
    lo, hi = param.bounds(scale)
    if not lo <= value <= hi:
        raise ValueError(
            f"parameter {param.name} of rule {rule} must be between {_num(lo)} and {_num(hi)}, "
            f"got {_num(value)}"
        )
    return value


def _verdict(spec: Rule, x: np.ndarray, stats: ItemStats, params: Params, scale: Scale) -> Verdict:
    if stats.n == 0:
        return Verdict(spec.code, False, spec.empty_status, ("no ratings",))
    status, reasons = spec.judge(x, stats, params, scale)
    return Verdict(spec.code, status == spec.consensus_status, status, tuple(reasons))


def evaluate(
    ratings: Ratings,
    rule: str = "mayo",
    params: Params | None = None,
    scale: Scale = Scale(),
) -> Verdict:
    return assess(ratings, rule, params, scale)[1]


def assess(
    ratings: Ratings,
    rule: str = "mayo",
    params: Params | None = None,
    scale: Scale = Scale(),
) -> tuple[ItemStats, Verdict]:
    """The item's statistics and its verdict, computing the statistics once for both."""
    full = validate_params(rule, params, scale)
    x = clean_ratings(ratings, scale)
    stats = stats_of_clean(x, scale)
    return stats, _verdict(RULES[rule], x, stats, full, scale)


def evaluate_all(ratings: Ratings, scale: Scale = Scale()) -> dict[str, Verdict]:
    """Every rule with its default parameters, for the sensitivity table."""
    x = clean_ratings(ratings, scale)
    stats = stats_of_clean(x, scale)
    return {code: _verdict(spec, x, stats, spec.defaults(scale), scale) for code, spec in RULES.items()}


def describe(rule: str, params: Params | None = None, scale: Scale = Scale()) -> str:
    """The rule in plain words, e.g. "all ratings above 5 and a mean above 7"."""
    return RULES[rule].describe(validate_params(rule, params, scale), scale)
