"""A table of one round, exported alone, reads that round alone and gives what the results page gives."""

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analysis.catalog import ONE_ROUND_TABLES, TABLES, build_table, tables_of
from analysis.tables import RoundData
from tests.analysis.studies import three_rounds

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_round(mayo_study):
    return three_rounds(mayo_study)[-1]


@pytest.mark.parametrize("name", sorted(ONE_ROUND_TABLES & set(TABLES)))
def test_a_one_round_table_alone_equals_the_same_table_read_with_every_round(last_round, name):
    everything = tables_of(RoundData(last_round))[name]

    alone = build_table(name, round=last_round)

    pd.testing.assert_frame_equal(alone.reset_index(drop=True), everything.reset_index(drop=True))


def test_a_one_round_table_asks_the_database_for_its_round_alone(last_round):
    with CaptureQueriesContext(connection) as queries:
        build_table("recommendations", round=last_round)

    figures = [q["sql"] for q in queries.captured_queries if "surveys_roundfigures" in q["sql"]]
    # Their protocol, then the parts the table reads (analysis.tables.FIGURE_PARTS).
    assert len(figures) == 2, "the table is built from the figures stored at close"
    # The subquery of rounds is this round's primary key, not every closed round up to it.
    assert not [sql for sql in figures if '"number" <=' in sql or "number <=" in sql]
    assert not [q["sql"] for q in queries.captured_queries if "surveys_answer" in q["sql"]]


def test_the_data_of_one_round_refuses_to_give_another(last_round, mayo_study):
    data = RoundData(last_round, one_round=True)

    with pytest.raises(ValueError, match="holds no other round"):
        data.of_round(mayo_study.rounds.get(number=1))
