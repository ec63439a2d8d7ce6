"""The paper's final tables: every vignette's recommendation as the study last asked it, across rounds.

A round's Table 3 lists the statements asked in that round only. A study
that reached consensus on some statements in round 1 and carried the others
asks round 2 about fewer statements, so the paper's Table 3 is stitched from
several rounds. These tables do that, following the lineage:

- final recommendations: one row per statement as last asked, that is, per
  Likert item of a closed round (up to the chosen round) that no Likert item
  of a later closed round continues. Its figures and verdict are those of
  that last asking. `first_consensus_round` is the first round in which the
  statement, or any item it continues (carried, reworded or merged), reached
  consensus; `consensus_held` says whether every later asking of the lineage
  reached it too, the last one included.
- final not recommended: per vignette, Table 4 of the last closed round that
  asked which options the panel would not recommend for it.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from analysis.tables import NOT_RECOMMENDED_COLUMNS, RECOMMENDATION_COLUMNS, RoundData, not_recommended, statement_verdicts

FINAL_RECOMMENDATION_COLUMNS = [
    *RECOMMENDATION_COLUMNS[:5], "last_round", *RECOMMENDATION_COLUMNS[5:], "first_consensus_round", "consensus_held",
]
FINAL_NOT_RECOMMENDED_COLUMNS = [*NOT_RECOMMENDED_COLUMNS[:2], "last_round", *NOT_RECOMMENDED_COLUMNS[2:]]


def final_recommendations(data: RoundData, *, include_all: bool = False) -> pd.DataFrame:
    """Each statement as last asked, with the round consensus was first reached and whether it held."""
    rounds = data.closed_rounds
    verdicts: dict[int, dict] = {}
    asked_in: dict[int, int] = {}
    for round_ in rounds:
        for item_id, row in statement_verdicts(data.of_round(round_)).items():
            verdicts[item_id] = row
            asked_in[item_id] = round_.number
    parents: dict[int, list[int]] = defaultdict(list)
    continued: set[int] = set()
    for edge in data.lineage.itertuples(index=False):
        if edge.parent_id in verdicts and edge.child_id in verdicts:
            parents[edge.child_id].append(edge.parent_id)
            continued.add(edge.parent_id)

    rows = []
    for item_id, row in verdicts.items():
        if item_id in continued:
            continue
        lineage = _lineage(item_id, parents)
        reached = sorted(asked_in[i] for i in lineage if verdicts[i]["consensus"])
        first = reached[0] if reached else None
        held = first is not None and all(verdicts[i]["consensus"] for i in lineage if asked_in[i] > first)
        held = held and bool(row["consensus"])
        if include_all or row["consensus"]:
            rows.append(
                {**row, "last_round": asked_in[item_id], "first_consensus_round": first, "consensus_held": held}
                | {"_order": (_vignette_order(data, row["vignette"]), asked_in[item_id], len(rows))}
            )
    rows.sort(key=lambda r: r.pop("_order"))
    return pd.DataFrame(rows, columns=FINAL_RECOMMENDATION_COLUMNS).astype({"first_consensus_round": "Int64"})


def _lineage(item_id: int, parents: dict[int, list[int]]) -> set[int]:
    """The item and every item it continues, however many rounds back."""
    seen, stack = {item_id}, [item_id]
    while stack:
        for parent in parents.get(stack.pop(), []):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def _vignette_order(data: RoundData, code: str) -> int:
    order = dict(zip(data.vignettes["vignette"], data.vignettes["vignette_order"]))
    return order.get(code, len(order))


def final_not_recommended(data: RoundData, *, include_all: bool = False) -> pd.DataFrame:
    """Per vignette, Table 4 of the last closed round that asked about it (every option with include_all)."""
    latest: dict[str, pd.DataFrame] = {}
    for round_ in data.closed_rounds:
        round_data = data.of_round(round_)
        asked = not_recommended(round_data, include_all=True)
        shown = asked if include_all else not_recommended(round_data)
        for code in asked["vignette"].unique():
            latest[code] = shown[shown["vignette"] == code].assign(last_round=round_.number)
    frames = [latest[code] for code in data.vignettes["vignette"] if code in latest and not latest[code].empty]
    if not frames:
        return pd.DataFrame(columns=FINAL_NOT_RECOMMENDED_COLUMNS)
    return pd.concat(frames, ignore_index=True)[FINAL_NOT_RECOMMENDED_COLUMNS]
