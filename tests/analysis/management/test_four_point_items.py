"""A 4-point recommendation item's statistics in the analyst's items table: its own bands, not thirds."""

import io
import json

import pytest
from django.core.management import call_command

from surveys.models import Round
from tests.analysis.panels import close, rate
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def test_the_items_table_splits_a_four_point_item_into_would_and_would_not_recommend(mayo_study):
    round_ = mayo_study.rounds.get(number=1)
    ItemFactory(round=round_, code="base-tms-4", type="categorical", text="How would you rate TMS?",
                # The answers' copy of the range comes from these (panels.rate writes them as the item has them).
                vignette=round_.items.get(code="base-main").vignette, scale_min=1, scale_max=4)
    # Two "likely not", three "likely", one "definitely".
    rate(round_, {"base-main": [8] * 6, "base-tms-4": [2, 2, 3, 3, 3, 4]})
    close(round_)
    out = io.StringIO()

    call_command("export_consensus", "mayo-trd", "--table", "items", "--format", "json", stdout=out)

    row = {r["statement"]: r for r in json.loads(out.getvalue())}["base-tms-4"]
    assert round(row["pct_low"], 2) == 33.33
    assert row["pct_mid"] is None
    assert round(row["pct_high"], 2) == 66.67
    assert Round.objects.get(pk=round_.pk).status == "closed"
