"""Any bytes, or any table, given as an export: read or refused naming the file, and whatever is read can be proposed and applied."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from analysis.files.foreign.mapping import MappingError, apply, load_mapping
from analysis.files.foreign.propose import propose
from analysis.files.foreign.reading import SheetError, read_export
from tests.analysis.foreign.test_mapping_fuzz import TERMS
from tests.security.strategies import fuzz_settings

cells = st.one_of(
    st.sampled_from(["", "1", "9 - complete agreement", "Strongly agree", "TMS;", "a@b.org", "anonymous", "Checked",
                     "2", "0", "round_1_arm_1", "[not completed]", "3/1/2026 10:00:00", "record_id", "1, one | 2, two",
                     "checkbox", "radio", "x___a", "Complete?", "Q (choice=TMS)"]),
    st.text(max_size=12),
)
tables = st.lists(st.lists(cells, min_size=1, max_size=8), min_size=0, max_size=6)


def as_file(rows, name: str) -> io.BytesIO:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    data = io.BytesIO(text.getvalue().encode("utf-8", "surrogatepass"))
    data.name = name
    return data


@fuzz_settings(300)
@given(export=st.one_of(tables.map(lambda rows: as_file(rows, "export.csv")), st.binary(max_size=300).map(
           lambda raw: setattr(data := io.BytesIO(raw), "name", "export.csv") or data)),
       dictionary=st.one_of(st.none(), tables.map(lambda rows: as_file(rows, "dictionary.csv"))),
       tool=st.sampled_from([None, "msforms", "redcap"]))
def test_any_table_is_read_or_refused_and_what_is_read_is_proposed_and_applied(export, dictionary, tool):
    try:
        read = read_export(source=export, tool=tool, dictionary=dictionary)
    except SheetError as error:
        assert str(error).startswith(("export.csv: ", "dictionary.csv: "))
        return
    proposed = propose(read, TERMS)
    try:
        mapping = load_mapping(proposed.dump(), source="proposed.yaml", terms=TERMS)
    except MappingError as error:
        # Only the labels and options the analyst must still give are refused.
        assert all(": no value given" in line for line in error.errors), error.errors
        return
    applied = apply(read, mapping, TERMS, lambda identity: "X" + str(hash(identity))[-8:])
    assert len(applied.ratings) == len(applied.ratings_from)
    assert len(applied.selections) == len(applied.selections_from)
