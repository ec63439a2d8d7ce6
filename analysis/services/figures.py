"""The figures a closed round keeps (RoundFigures), written where its answers are written.

A response import and an archive restore call `round_figures_refresh` in
the transaction that writes the answers, and the ballot box's close and a
protocol deviation (for the closed rounds not yet released) send
surveys.signals.answers_counted in theirs, so the stored figures are never
older than the answers. A reopen takes the round's away with its answers
(surveys.services.counting). `store_figures` stores them for rounds closed
before there were stored figures. The results page, its downloads and
export_consensus then read a few hundred rows of figures per round instead
of counting every answer on every view.

The figures are computed by the very functions that compute them on a view
when none are stored (analysis.tables, analysis.participation), from the
rounds' data, the earlier rounds' stored figures standing for their answers:
a stored figure and a computed one are one method.
"""

from __future__ import annotations

import math

from analysis import participation, tables
from analysis.selectors import study_rounds
from analysis.tables import RoundData
from surveys.models import Item, Round, RoundFigures, Study


def round_figures_refresh(*, study: Study, from_number: int = 1) -> int:
    """Stores the figures of the study's closed rounds from round `from_number` on; returns how many rounds.

    A later round's figures follow the earlier rounds' (its changes and
    attrition check reach back to round 1), so every round from the one
    written is computed again; a round no longer closed keeps none.
    """
    # As the database holds it: a caller's study may carry values as a form gave them (a threshold
    # of Decimal("60") where the database gives "60.00"), and readers compare the protocol as stored.
    study = Study.objects.get(pk=study.pk)
    RoundFigures.objects.filter(round__study=study, round__number__gte=from_number).delete()
    rounds = study_rounds(study=study)
    closed = [round for round in rounds if round.status == Round.Status.CLOSED]
    written = [round for round in closed if round.number >= from_number]
    if not written:
        return 0
    # The earlier rounds' figures, stored already, stand for their answers.
    last = RoundData(closed[-1], study_rounds=rounds)
    RoundFigures.objects.bulk_create(
        RoundFigures(round=round, protocol=round.study_as_shown.protocol(), **_figures(last.of_round(round)))
        for round in written
    )
    return len(written)


def figures_on_answers_counted(sender, *, study: Study, from_number: int, **kwargs) -> None:
    """surveys.signals.answers_counted: a close or a protocol deviation changed the figures from this round on."""
    round_figures_refresh(study=study, from_number=from_number)


def _figures(data: RoundData) -> dict:
    """What RoundData reads back from RoundFigures, part by part (RoundFigures.PARTS), for the round of `data`."""
    rated = data.items_of(*Item.RATED_TYPES)
    likert = data.items_of(Item.Type.LIKERT)
    counts = data.rating_counts
    assessed = {
        str(item.item_id): tables.assessed(data, item.item_id, item.type) for item in rated.itertuples(index=False)
    }
    return _plain(
        {
            "counts": {
                str(item_id): group[["rating", "count"]].to_numpy().tolist()
                for item_id, group in counts.groupby("item_id", sort=False)
            },
            "stats": {key: _pairs(stats) for key, (stats, _verdict) in assessed.items()},
            "verdicts": {key: _pairs(verdict) for key, (_stats, verdict) in assessed.items() if verdict is not None},
            "sensitivity": {str(item_id): tables.verdicts_by_rule(data, item_id) for item_id in likert["item_id"]},
            "choices": data.choice_counts[["item_id", "option_id", "count"]].to_numpy().tolist(),
            "changes": {link: _pairs(change) for link, change in tables.item_changes(data).items()},
            "attrition": participation.group_comparisons(data),
        }
    )


def _pairs(row: dict) -> list[list]:
    """A row whose order of names is its tables' order of columns, as [name, value] pairs.

    PostgreSQL's jsonb keeps an object's keys in an order of its own, and
    the items and round comparison tables take their columns in this order.
    """
    return [[name, value] for name, value in row.items()]


def _plain(value):
    """The figures as JSON keeps them: Python numbers for numpy's, and no NaN, which JSON has not."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        raise ValueError("a figure is NaN: a statistic should give None where it has no value")
    return value
