"""What the next round is drafted from: a closed round's verdicts and its top choices.

The facilitator's next-round page reads these; they live here because
they need the round's consensus table.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.catalog import BUILDERS
from analysis.tables import RoundData
from surveys.models import Item, Round


class RoundReview:
    """What the next-round page reads of a closed round: verdicts, item results and top choices, from one set of queries."""

    def __init__(self, round: Round):
        self.round = round
        self._data = RoundData(round)

    def _table(self, name: str):
        return BUILDERS[name](self._data, include_all=True)

    def without_consensus(self, items: list[Item]) -> set[int]:
        """Statements that did not reach consensus, with the other items of their vignettes."""
        verdicts = self._table("recommendations")
        reached = set(verdicts.loc[verdicts["consensus"].astype(bool), "statement"]) if not verdicts.empty else set()
        open_statements = [i for i in items if i.type == Item.Type.LIKERT and i.code not in reached]
        vignettes = {i.vignette_id for i in open_statements}
        return {i.pk for i in open_statements} | {
            i.pk for i in items if i.type != Item.Type.LIKERT and i.vignette_id in vignettes
        }

    def results(self) -> dict[str, ItemResult]:
        """Each rated item's n, median, interquartile range and verdict, by item code, as the items table has them."""
        table = self._table("items")
        if table.empty:
            return {}
        return {
            row.statement: ItemResult(
                n=int(row.n),
                median=_number(row.median),
                p25=_number(row.p25),
                p75=_number(row.p75),
                consensus=None if row.consensus is None else bool(row.consensus),
            )
            for row in table.itertuples(index=False)
        }

    def drafts(self, threshold: float) -> list[StatementDraft]:
        """Per vignette, a consensus statement naming the options at least `threshold`% of the panel put in their top choices.

        The Mayo panel drafted its consensus questionnaire this way from surveys 2-3.
        """
        table = self._table("top-choices")
        if table.empty:
            return []
        vignettes = {v.code: v for v in self.round.study.vignettes.all()}
        options = {o.code: o for o in self.round.study.options.all()}
        drafts = []
        for code, rows in table.groupby("vignette", sort=False):
            chosen = [options[c] for c in rows.loc[rows["percent"] >= threshold, "option"]]
            text = ""
            if chosen:
                listed = _spoken_list([o.short for o in chosen])
                text = f"{listed} would be my main choice(s) as the next treatment recommendation for this patient."
            drafts.append(StatementDraft(vignette=vignettes[code], options=chosen, text=text))
        return drafts


@dataclass(frozen=True)
class ItemResult:
    """What a closed round gave for one rated item, as the facilitator decides what to carry."""

    n: int
    median: float | None
    p25: float | None
    p75: float | None
    consensus: bool | None  # None: a 4-point item, not rated for consensus


def _number(value) -> float | None:
    return None if value is None or value != value else float(value)


@dataclass
class StatementDraft:
    vignette: object
    options: list
    text: str


def _spoken_list(names: list[str]) -> str:
    """"A", "A or B", "A, B, or C", as the Mayo statements read."""
    if len(names) <= 2:
        return " or ".join(names)
    return ", ".join(names[:-1]) + ", or " + names[-1]
