"""Column headers in words, for every format a person reads: the page, XLSX, Markdown, LaTeX and Word.

CSV and JSON keep the keys (SPEC 4.3 fixes those of the consensus tables),
so scripts and other tools can rely on them; a manuscript gets "Mean" and
"All ratings above neutral" instead of `mean` and `all_above_neutral`. This
module is the one mapping from key to words.
"""

from __future__ import annotations

import re

import consensus

WORDS = {
    # what a row is about
    "vignette": "Vignette",
    "vignette_title": "Vignette title",
    "statement": "Statement",
    "text": "Text",
    "options": "Options",
    "option": "Option",
    "option_name": "Option name",
    "type": "Item type",
    "round": "Round",
    "item": "Item",
    "value": "Value",
    "panelist": "Panelist",
    "pseudonym": "Pseudonym",
    "rating": "Rating",
    "comment": "Comment",
    # statistics of one item
    "n": "n",
    "mean": "Mean",
    "sd": "SD",
    "median": "Median",
    "p25": "P25",
    "p75": "P75",
    "iqr": "IQR",
    "min": "Min",
    "max": "Max",
    "pct_low": "% in the low band",
    "pct_mid": "% in the middle band",
    "pct_high": "% in the high band",
    "mad_m": "MAD-M",
    "cv": "CV",
    # verdicts
    "all_above_neutral": "All ratings above neutral",
    "consensus": "Consensus",
    "rule": "Rule",
    "status": "Verdict",
    "reasons": "Reasons",
    "rules_agree": "Rules agree",
    # choices of options
    "count": "Count",
    "percent": "%",
    # across rounds
    "from_statement": "From statement",
    "from_round": "From round",
    "operation": "Change",
    "n_before": "n before",
    "n_after": "n after",
    "n_paired": "n paired",
    "mean_before": "Mean before",
    "mean_after": "Mean after",
    "mean_change": "Change in mean",
    "median_before": "Median before",
    "median_after": "Median after",
    "median_change": "Change in median",
    "pct_changed": "% who changed their rating",
    "wilcoxon_statistic": "Wilcoxon W",
    "wilcoxon_p": "Wilcoxon p",
    "cv_before": "CV before",
    "cv_after": "CV after",
    "cv_change": "Change in CV",
    "last_round": "Last asked in round",
    "first_consensus_round": "Consensus first reached in round",
    "consensus_held": "Consensus held",
    # rankings
    "raters": "Raters",
    "w": "Kendall's W",
    "chi2": "Chi-square",
    "df": "df",
    "p": "p",
    "mean_ranks": "Mean ranks",
    # participant flow and attrition
    "stage": "Stage",
    "of": "of (N)",
    "invited": "Invited",
    "joined": "Joined",
    "lost": "Lost since the round before",
    "returned": "Back after missing a round",
    "completers": "n completed the last round",
    "dropouts": "n dropped out",
    "median_completers": "Median, completers",
    "median_dropouts": "Median, dropouts",
    "mean_completers": "Mean, completers",
    "mean_dropouts": "Mean, dropouts",
    "mann_whitney_u": "Mann-Whitney U",
    "mann_whitney_p": "Mann-Whitney p",
    "note": "Note",
    # the reporting checklist
    "section": "Section",
    "topic": "Topic",
    "report": "In this study",
}

_COUNT = re.compile(r"count_(-?\d+)")


def words(key: str) -> str:
    """The header a person reads for the column `key`; KeyError for a column no mapping covers.

    Rule codes (the sensitivity table) read as the rules' own short names.
    """
    if key in WORDS:
        return WORDS[key]
    if match := _COUNT.fullmatch(key):
        return f"Rated {match.group(1)}"
    code = key.removesuffix("_status")
    if code in consensus.RULES:
        name = consensus.RULES[code].short_name
        return f"{name}: verdict" if code != key else f"{name}: consensus"
    raise KeyError(key)
