"""Splitting the stored figures into a column per part (surveys 0028) keeps every figure, both ways."""

import pytest

from tests.surveys.migrating import back_to_the_latest_schema, migrate  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("surveys", "0027_round_figures")]
AFTER = [("surveys", "0028_round_figures_parts")]
FIGURES = {
    "counts": {"7": [[8, 2], [9, 1]]},
    "stats": {"7": [["n", 3], ["mean", 8.333]]},
    "verdicts": {"7": [["consensus", True]]},
    "sensitivity": {"7": {"mayo": [True, "consensus"]}},
    "choices": [[9, 4, 2]],
    "changes": {"5-7": [["n", 3], ["p_value", 0.5]]},
    "attrition": {"5": [["completers", 3]]},
}


def test_each_part_moves_into_its_column_and_back():
    apps = migrate(BEFORE)
    Study, Round = apps.get_model("surveys", "Study"), apps.get_model("surveys", "Round")
    study = Study.objects.create(slug="split", title="Split")
    round_ = Round.objects.create(study=study, number=1, status="closed")
    protocol = {"rule": "mayo", "params": {}, "scale": [1, 9, 5]}
    apps.get_model("surveys", "RoundFigures").objects.create(round=round_, protocol=protocol, figures=FIGURES)

    apps = migrate(AFTER)
    stored = apps.get_model("surveys", "RoundFigures").objects.get(round_id=round_.pk)
    assert {part: getattr(stored, part) for part in FIGURES} == FIGURES
    assert stored.protocol == protocol

    apps = migrate(BEFORE)
    assert apps.get_model("surveys", "RoundFigures").objects.get(round_id=round_.pk).figures == FIGURES
