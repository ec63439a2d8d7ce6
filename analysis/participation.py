"""Participant flow and the attrition-bias check, from counts and pseudonyms only (SPEC 5).

Reporting guidelines (ACCORD, CREDES, DELPHISTAR) and the COMET handbook
ask for the response rate of every round and for a check that those who
dropped out did not see things differently.

- Flow: invited, joined, then per closed round how many of the panel
  submitted (n of N and %), how many who submitted the round before did not
  (lost), and how many came back after missing it (returned). N, the panel,
  is the panelists who joined, or the pseudonyms known, if more (answers
  imported from another tool have pseudonyms and no accounts).
- Attrition: for every rated item of the first closed round, the ratings of
  those who also submitted the last round (completers) against those who did
  not (dropouts), by the Mann-Whitney U test. A group smaller than the
  study's minimum n shows its size only, as the panel's own pages do.
"""

from __future__ import annotations

import pandas as pd

import consensus
from analysis.tables import RoundData
from surveys.models import Item

FLOW_COLUMNS = ["stage", "round", "n", "of", "percent", "lost", "returned"]
ATTRITION_COLUMNS = [
    "vignette", "statement", "completers", "dropouts", "median_completers", "median_dropouts",
    "mean_completers", "mean_dropouts", "mann_whitney_u", "mann_whitney_p", "note",
]


def _percent(part: int, whole: int) -> float | None:
    return consensus.half_away(100 * part / whole, 1) if whole else None


def flow(data: RoundData, *, include_all: bool = False) -> pd.DataFrame:
    """Invited, joined, then each closed round up to this one: submitted, lost and returned."""
    invited, joined, pseudonyms = data.panel
    # N of every response rate: the panelists who joined, or the pseudonyms known if there are more.
    panel = max(joined, pseudonyms)
    submissions = data.submissions
    rows = [
        {"stage": "Invited", "round": None, "n": invited, "of": None, "percent": None, "lost": None, "returned": None},
        {"stage": "Joined", "round": None, "n": joined, "of": invited or None,
         "percent": _percent(joined, invited), "lost": None, "returned": None},
    ]
    seen: set = set()
    previous: set | None = None
    for round_ in data.closed_rounds:
        submitted = set(submissions.loc[submissions["round"] == round_.number, "participant_id"])
        rows.append(
            {
                "stage": "Submitted",
                "round": round_.number,
                "n": len(submitted),
                "of": panel,
                "percent": _percent(len(submitted), panel),
                "lost": None if previous is None else len(previous - submitted),
                "returned": None if previous is None else len((submitted - previous) & seen),
            }
        )
        seen |= submitted
        previous = submitted
    return pd.DataFrame(rows, columns=FLOW_COLUMNS).astype(
        {"round": "Int64", "of": "Int64", "lost": "Int64", "returned": "Int64"}
    )


def group_comparisons(data: RoundData) -> dict[str, dict]:
    """GroupComparison.as_dict of completers against dropouts for every rated item of the first closed round, by id.

    Read from the round's stored figures when there are any; computed from
    round 1's ratings otherwise, as the stored ones were.
    """
    rounds = data.closed_rounds
    if len(rounds) < 2:
        return {}
    first_items = data.of_round(rounds[0]).items_of(*Item.RATED_TYPES)["item_id"]
    if data.figures is not None and all(str(item_id) in data.figures["attrition"] for item_id in first_items):
        return data.figures["attrition"]
    submissions = data.submissions
    stayed = set(submissions.loc[submissions["round"] == rounds[-1].number, "participant_id"])
    ratings = data.all_ratings
    kept = ratings["participant"].isin(stayed).to_numpy()
    points = ratings["rating"].to_numpy()
    rows_of = data.rating_rows
    comparisons = {}
    for item_id in first_items:
        where = rows_of.get(item_id, [])
        comparisons[str(item_id)] = consensus.compare_groups(
            points[where][kept[where]].tolist(), points[where][~kept[where]].tolist()
        ).as_dict()
    return comparisons


def attrition(data: RoundData, *, include_all: bool = False) -> pd.DataFrame:
    """Round 1's ratings of those who completed this round against those who dropped out before it."""
    rounds = data.closed_rounds
    if len(rounds) < 2:
        return pd.DataFrame(columns=ATTRITION_COLUMNS)
    comparisons = group_comparisons(data)
    minimum = data.study.minimum_n
    rows = []
    for item in data.of_round(rounds[0]).items_of(*Item.RATED_TYPES).itertuples(index=False):
        result = comparisons[str(item.item_id)]
        row = {"vignette": item.vignette, "statement": item.statement,
               "completers": result["n_a"], "dropouts": result["n_b"]}
        if min(result["n_a"], result["n_b"]) < minimum:
            row["note"] = f"a group of fewer than {minimum}: not shown"
        else:
            row.update(
                median_completers=result["median_a"], median_dropouts=result["median_b"],
                mean_completers=consensus.half_away(result["mean_a"]),
                mean_dropouts=consensus.half_away(result["mean_b"]),
                mann_whitney_u=result["u"], mann_whitney_p=consensus.half_away(result["p"], 3), note="",
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=ATTRITION_COLUMNS)
