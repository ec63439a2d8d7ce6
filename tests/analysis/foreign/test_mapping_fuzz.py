"""Any YAML value under any key of a mapping is read as a mapping or refused at its key: never another exception."""

from __future__ import annotations

import yaml
from hypothesis import given
from hypothesis import strategies as st

from analysis.files.foreign.mapping import KEYS, Mapping, MappingError, StudyTerms, load_mapping
from tests.security.strategies import fuzz_settings

TERMS = StudyTerms(
    statements={"base-main": "TMS would be my main choice."},
    not_recommended={"base": "Which would you not recommend?"},
    options={"tms": ("Transcranial magnetic stimulation", "TMS")},
    last_round=1,
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=False),
    st.sampled_from(["msforms", "redcap", "ignore", "base-main", "base", "tms", "email", "record", "none", "~", ""]),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(scalars.filter(lambda v: v is not None), st.sampled_from(["statement", "not_recommended"])),
                        children, max_size=3),
    ),
    max_leaves=12,
)


@fuzz_settings(200)
@given(data=st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), values, max_size=8),
       tool=st.sampled_from(["msforms", "redcap", None]))
def test_any_value_under_any_key_is_read_or_refused_at_its_key(data, tool):
    if tool is not None:
        data["tool"] = tool
    raw = yaml.safe_dump(data, allow_unicode=True)
    try:
        mapping = load_mapping(raw, source="map.yaml", terms=TERMS)
    except MappingError as error:
        assert error.errors and all(line.startswith("map.yaml: ") and "\n" not in line for line in error.errors)
    else:
        assert isinstance(mapping, Mapping)
        # What is read back from its own dump is the same mapping.
        assert load_mapping(mapping.dump(), source="again.yaml", terms=TERMS) == mapping
