"""Hostile input for the fuzz tests: odd text, odd numbers, odd dates, and how many examples to try.

`FUZZ_EXAMPLES` scales every test's example count: the default keeps both
fuzz files well under two minutes in CI, where the examples are the same on
every run (derandomized); a longer local run, drawing new examples, is

    FUZZ_EXAMPLES=20 .venv/bin/python -m pytest tests/security/test_fuzz_forms.py tests/security/test_fuzz_imports.py

(twenty times as many examples per test).
"""

import json
import os
from contextlib import contextmanager

from django.apps import apps
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

SCALE = float(os.environ.get("FUZZ_EXAMPLES", "1"))


def fuzz_settings(examples: int):
    """Settings for one fuzz test: `examples` examples (times FUZZ_EXAMPLES), no deadline.

    The fixtures are function scoped on purpose: each example runs inside
    `rolled_back()`, so the fixture's rows are the same for every example.
    """
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        # No example database on disk; a failure prints the blob that replays it.
        database=None,
        print_blob=True,
        # CI (which sets CI) tries the same examples on every run, so a landing
        # never fails on an example no earlier run drew; local runs explore anew.
        derandomize=bool(os.environ.get("CI")),
    )


@contextmanager
def rolled_back():
    """One example's writes, undone after it, so examples cannot see each other's rows."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# The project's own tables and the user table: what a refused request must leave alone.
SNAPSHOT_APPS = ("surveys", "vignettes")


def snapshot() -> dict:
    """Every row of the project's tables and of the users, ordered by key: cheap at test sizes, and
    stronger than row counts, as it also catches an edited row."""
    models = [m for app in SNAPSHOT_APPS for m in apps.get_app_config(app).get_models()]
    models.append(apps.get_model("auth", "User"))
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in models}


# -- values ----------------------------------------------------------------------

HUGE = 300_000
SPECIAL_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 10,
    "\t\r\n",
    "\u202eevil\u202c",
    "\u200b",
    "\ufeff",
    "🙂" * 50,
    "İıǅ",
    "e\u0301" * 20,
    "<script>alert(1)</script>",
    "'; DROP TABLE surveys_study; --",
    "../../etc/passwd",
    "{{ settings.SECRET_KEY }}",
    "%s%n%x",
    "a\nb",
    "Two\u2028lines",
    "esc\x1b[31m",
    "x" * 81,  # past an option's short name
    "x" * 151,  # past a user name
    "x" * 201,  # past a title or a name
    "x" * 301,  # past a history line
    "x" * 2001,
    "x" * 70_000,
    "ä" * HUGE,
]
SPECIAL_NUMBERS = [
    "0",
    "-0",
    "-1",
    "+5",
    " 7 ",
    "1.5",
    "1e999",
    "-1e999",
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "0x10",
    "1_0",
    "٣",  # an Arabic-Indic digit: int() reads it, isdigit() says yes
    "²",  # a superscript: isdigit() says yes, int() refuses it
    "1e-999999999",
    "1e999999999",
    "-inf",
    "0.001",  # more decimals than a threshold keeps
    "32768",  # past a small integer column
    "2147483648",  # past PostgreSQL's integer column
    "-2147483649",
    "9" * 30,
    "-" + "9" * 30,
    "9" * 400,  # a whole number past a float's range
    "9" * 5000,  # beyond Python's int() digit limit
    "7\x00",
]
SPECIAL_DATES = [
    "2099-01-01T10:00",
    "2099-01-01 10:00",
    "2099-01-01",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "1970-01-01",
    "2026-02-30T10:00",
    "2026-13-01T10:00",
    "2026-13-45",
    "2026-13-45T10:00",
    "2099-01-01T25:59",
    "2099-01-01T25:61",
    "tomorrow",
    "2099-01-01T10:00\x00",
    "99999-01-01",
    "-2026-01-01",
    "2099-01-01T10:00:00+14:00",
]



def _odd_text(specials: list[str]):
    return st.one_of(
        st.sampled_from(specials),
        # Surrogates cannot be encoded as UTF-8 and never reach a view; everything else may.
        st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
        st.builds(lambda c, n: c * n, st.characters(exclude_categories=("Cs",)), st.integers(1, 5000)),
    )


odd_text = _odd_text(SPECIAL_TEXT)
# Without the 300 000 characters, for structures that PyYAML (pure Python) must dump and read back.
short_odd_text = _odd_text([text for text in SPECIAL_TEXT if len(text) < HUGE])
odd_number = st.one_of(
    st.sampled_from(SPECIAL_NUMBERS),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
odd_date = st.sampled_from(SPECIAL_DATES)
odd_scalar = st.one_of(odd_text, odd_number, odd_date)

# Values only a parser makes: a JSON text may write half of a surrogate pair
# ("\\ud800") and numbers past what Python or a float holds.
lone_surrogates = st.text(st.characters(categories=("Cs",)), min_size=1, max_size=3)
json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**400), 10**400),
    st.sampled_from([2**31, -(2**31) - 1, 2**63, 10**4000]),
    st.floats(),
    st.builds(lambda a, s, b: a + s + b, st.text(max_size=5), lone_surrogates, st.text(max_size=5)),
    odd_text.filter(lambda text: len(text) < 1000),
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.one_of(st.text(max_size=8), lone_surrogates), children,
                                                        max_size=3)
    ),
    max_leaves=8,
)
# As JSON text, the surrogates written as escapes, as any JSON writer does.
json_text = json_values.map(json.dumps)

# Raw tokens to put in place of a value of a study file: what its writer could
# not have produced from Python values, such as a date that is no date.
YAML_TOKENS = [
    "2026-13-45",
    "2026-01-01T25:59:00",
    "2026-01-01 10:00:00 +99:00",
    "9" * 5000,
    "0x" + "f" * 4000,
    "0" + "7" * 5000,  # octal, which has no digit limit either
    "1:" * 3000 + "1",
    "1e-999999999",
    "1.0e-999999999",
    "1.0e+999999999",
    ".nan",
    "-.inf",
    '"\\ud800"',
    '"a\\nb"',
    '"\\x1b[31m"',
    "x" * 301,
]
JSON_TOKENS = [
    "9" * 5000,
    "-" + "9" * 400,
    "1e-999999999",
    "1e999999999",
    "NaN",
    "Infinity",
    "-Infinity",
    "2147483648",
    '"\\ud800"',
    '"a\\udfffb"',
    '"2026-13-45"',
    '"a\\nb"',
    '"\\u2028"',
    '"' + "x" * 301 + '"',
]


def hostile(*known: str):
    """A posted value: one of `known` (valid choices), an odd scalar, or a list of either."""
    scalar = st.one_of(st.sampled_from(known), odd_scalar) if known else odd_scalar
    return st.one_of(scalar, st.lists(scalar, min_size=0, max_size=4))


def form_data(fields: dict):
    """Posted data: any subset of `fields` (name -> strategy of its value), plus stray keys."""
    known = st.fixed_dictionaries({}, optional=fields)
    stray = st.dictionaries(st.one_of(odd_text.filter(bool), st.sampled_from(["csrfmiddlewaretoken", "pk"])),
                            hostile(), max_size=3)
    return st.builds(lambda a, b: {**b, **a}, known, stray)
