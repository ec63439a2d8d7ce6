"""Consensus rules and per-item statistics for Delphi rounds.

Plain functions over numbers, lists or pandas Series: nothing here knows
about Django, so it can be tested with hypothesis and reused in notebooks.
"""

from consensus.groups import GroupComparison, compare_groups
from consensus.ranking import KendallW, kendalls_w
from consensus.rounding import fixed, half_away, short
from consensus.rounds import RoundChange, compare_rounds
from consensus.rules import RULES, Verdict, assess, describe, evaluate, evaluate_all, validate_params
from consensus.scale import Scale
from consensus.stats import ItemStats, item_stats

__all__ = [
    "RULES",
    "ItemStats",
    "GroupComparison",
    "KendallW",
    "RoundChange",
    "Scale",
    "Verdict",
    "assess",
    "compare_groups",
    "compare_rounds",
    "describe",
    "evaluate",
    "evaluate_all",
    "fixed",
    "half_away",
    "item_stats",
    "kendalls_w",
    "short",
    "validate_params",
]
