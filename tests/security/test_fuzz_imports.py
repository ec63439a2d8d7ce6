"""Both import formats fuzzed (issue 6): a hostile file is imported or refused with a clear
CommandError naming the file and the line or key, never a traceback, and a refusal writes nothing.

Each example runs in its own rolled-back transaction (`rolled_back`), so the
study the fixtures made is the same for every example. `FUZZ_EXAMPLES`
(tests/security/strategies.py) scales the number of examples.
"""

import copy
import csv
import io
import json
import re
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command
from hypothesis import assume, example, given
from hypothesis import strategies as st

from surveys.models import Answer, Item, Study, Submission
from tests.conftest import MAYO_FILE
from tests.security.strategies import (
    JSON_TOKENS,
    YAML_TOKENS,
    fuzz_settings,
    json_leaves,
    json_values,
    lone_surrogates,
    odd_number,
    odd_scalar,
    odd_text,
    rolled_back,
    short_odd_text,
    snapshot,
)

pytestmark = pytest.mark.django_db

MAYO = yaml.safe_load(MAYO_FILE.read_text(encoding="utf-8"))
STUDY_KEYS = ["slug", "title", "description", "scale", "consensus", "not_recommended_threshold",
              "options", "vignettes", "statements", "min", "max", "neutral", "rule", "above_neutral",
              "mean_above", "code", "name", "short", "group", "text", "base", "change", "vignette"]


def _write(tmp_path, name: str, content: bytes | str) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return str(path)


def _import_study(path: str) -> str | None:
    """None if the file imported, else the CommandError's message; any other exception fails the test."""
    try:
        call_command("import_study", path, stdout=StringIO())
    except CommandError as error:
        return str(error)
    return None


def _assert_names_the_file(message: str, path: str) -> None:
    lines = message.split("\n")
    assert lines, message
    for line in lines:
        # "<file>: <key or line n>: <problem>", or "<file>: <problem>" for a file that is not a mapping.
        assert line.startswith(f"{path}: ") and len(line) > len(path) + 2, line


def _study_file_is_imported_or_refused(path: str) -> str | None:
    before = snapshot()
    message = _import_study(path)
    if message is None:
        assert Study.objects.count() == len(before["surveys.Study"]) + 1
    else:
        _assert_names_the_file(message, path)
        assert snapshot() == before
    return message


# -- study files (SPEC 4.1) ----------------------------------------------------

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**80), 2**80),
    # Past PostgreSQL's integer columns, and past a float's range.
    st.sampled_from([2**31, -(2**31) - 1, 2**63, 10**400, -(10**400)]),
    st.floats(),
    # YAML writes these as timestamps; JSON as text.
    st.dates(),
    st.datetimes(),
    short_odd_text,
    st.sampled_from(STUDY_KEYS),
)
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(STUDY_KEYS), short_odd_text, st.integers()), children, max_size=4),
    ),
    max_leaves=25,
)
study_like = st.dictionaries(st.sampled_from(STUDY_KEYS), trees, max_size=10)


def _dump(data, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, default=str)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


class TestStudyFiles:
    @fuzz_settings(60)
    @given(data=st.one_of(study_like, trees), fmt=st.sampled_from(["yaml", "json"]))
    def test_a_hostile_structure_is_imported_or_refused_naming_the_file(self, tmp_path, data, fmt):
        path = _write(tmp_path, f"study.{fmt}", _dump(data, fmt))
        with rolled_back():
            _study_file_is_imported_or_refused(path)

    @fuzz_settings(40)
    @given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
           fmt=st.sampled_from(["yaml", "json"]))
    # A study file never needs anchors: a billion laughs must not be walked, nor printed in a message.
    @example(raw=b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                 b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                 b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                 b"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                 b"options: [{code: o, name: O, group: *h}]\n", fmt="yaml")
    @example(raw=b"options: &a [*a]\n", fmt="yaml")
    @example(raw=b"[" * 50_000 + b"]" * 50_000, fmt="yaml")
    @example(raw=b"[" * 50_000 + b"]" * 50_000, fmt="json")
    @example(raw=b"? [a, b]\n: c\n", fmt="yaml")
    @example(raw=b"\xef\xbb\xbf{}", fmt="json")
    @example(raw=b"\xff\xfe\x00", fmt="yaml")
    @example(raw=b"", fmt="yaml")
    def test_raw_bytes_are_refused_naming_the_file(self, tmp_path, raw, fmt):
        path = _write(tmp_path, f"study.{fmt}", raw)
        with rolled_back():
            assert _study_file_is_imported_or_refused(path) is not None

    @fuzz_settings(60)
    @given(data=st.data(), fmt=st.sampled_from(["yaml", "json"]))
    @example(data=None, fmt="yaml").via("a NUL in a title, which PostgreSQL cannot store")
    def test_a_mutated_mayo_file_is_imported_or_refused_naming_the_file(self, tmp_path, data, fmt):
        study = copy.deepcopy(MAYO)
        if data is None:
            study["vignettes"][0]["title"] = "Base\x00vignette"
        else:
            for _ in range(data.draw(st.integers(1, 3), label="mutations")):
                _mutate(study, data)
        path = _write(tmp_path, f"mayo.{fmt}", _dump(study, fmt))
        with rolled_back():
            message = _study_file_is_imported_or_refused(path)
        if data is None:
            assert message == f"{path}: vignettes[0].title: contains a NUL character"

    @fuzz_settings(25)
    @given(
        slug=st.from_regex(r"[a-z0-9][a-z0-9_-]{0,40}", fullmatch=True),
        title=st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=200).filter(str.strip),
        order=st.permutations(range(len(MAYO["options"]))),
        statements=st.booleans(),
        fmt=st.sampled_from(["yaml", "json"]),
    )
    def test_a_mayo_file_with_harmless_changes_still_imports(self, tmp_path, slug, title, order, statements, fmt):
        study = copy.deepcopy(MAYO)
        study.update(slug=slug, title=title, options=[study["options"][i] for i in order])
        if not statements:
            del study["statements"]
        path = _write(tmp_path, f"mayo.{fmt}", _dump(study, fmt))
        with rolled_back():
            assert _import_study(path) is None
            imported = Study.objects.get(slug=slug)
            assert imported.title == title.strip()
            assert list(imported.options.order_by("position").values_list("code", flat=True)) == [
                o["code"] for o in study["options"]
            ]
            expected = len(MAYO["statements"]) if statements else 0
            assert Item.objects.filter(round__study=imported, type=Item.Type.LIKERT).count() == expected


    @fuzz_settings(40)
    @given(data=st.data(), fmt=st.sampled_from(["yaml", "json"]))
    def test_a_raw_token_in_place_of_a_value_is_imported_or_refused_naming_the_file(self, tmp_path, data, fmt):
        # Tokens a YAML or JSON writer would not produce from Python values: a date that is no
        # date, numbers past 4,300 digits or a float's range, a lone surrogate, a line break.
        study = copy.deepcopy(MAYO)
        paths = [path for path, node in _paths(study) if path and not isinstance(node, dict | list)]
        path = data.draw(st.sampled_from(paths), label="at")
        _at(study, path[:-1])[path[-1]] = "__TOKEN__"
        token = data.draw(st.sampled_from(YAML_TOKENS if fmt == "yaml" else JSON_TOKENS), label="token")
        text = _dump(study, fmt)
        marker = '"__TOKEN__"' if fmt == "json" else "__TOKEN__"
        assert text.count(marker) == 1
        path = _write(tmp_path, f"mayo.{fmt}", text.replace(marker, token))
        with rolled_back():
            _study_file_is_imported_or_refused(path)

    @fuzz_settings(40)
    @given(data=st.data())
    def test_any_json_value_in_a_mayo_file_is_imported_or_refused_naming_the_file(self, tmp_path, data):
        # Lone surrogates, in values and keys, and numbers as large as JSON and Python allow.
        study = copy.deepcopy(MAYO)
        for _ in range(data.draw(st.integers(1, 2), label="mutations")):
            path = data.draw(st.sampled_from([path for path, _ in _paths(study) if path]), label="at")
            parent, key = _at(study, path[:-1]), path[-1]
            if isinstance(parent[key], str) and data.draw(st.booleans(), label="splice"):
                # The rest of the file still valid, so that the text would reach the database.
                at = data.draw(st.integers(0, len(parent[key])), label="position")
                parent[key] = parent[key][:at] + data.draw(lone_surrogates, label="surrogate") + parent[key][at:]
            else:
                parent[key] = data.draw(st.one_of(json_leaves, json_values), label="value")
        # ASCII, as many writers do: a surrogate is written as its \\u escape.
        path = _write(tmp_path, "mayo.json", json.dumps(study))
        with rolled_back():
            _study_file_is_imported_or_refused(path)


def _paths(node, prefix=()):
    """Every (path, node) of a parsed study file, the root included."""
    yield prefix, node
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from _paths(child, (*prefix, key))


def _mutate(study: dict, data) -> None:
    """One edit somewhere in the tree: a value replaced, a key dropped or added, an entry doubled."""
    path, node = data.draw(st.sampled_from(list(_paths(study))), label="at")
    kind = data.draw(st.sampled_from(["replace", "drop", "unknown key", "double"]), label="edit")
    if kind == "replace" and path:
        parent = _at(study, path[:-1])
        parent[path[-1]] = data.draw(trees, label="value")
    elif kind == "drop" and path:
        parent = _at(study, path[:-1])
        del parent[path[-1]]
    elif kind == "unknown key" and isinstance(node, dict):
        node[data.draw(short_odd_text, label="key")] = data.draw(leaves, label="value")
    elif kind == "double" and isinstance(node, list) and node:
        node.append(copy.deepcopy(data.draw(st.sampled_from(node), label="entry")))


def _at(node, path):
    for key in path:
        node = node[key]
    return node


# -- response files (SPEC 4.2) -------------------------------------------------

STATEMENTS = [s["code"] for s in MAYO["statements"]]
VIGNETTES = [v["code"] for v in MAYO["vignettes"]]
OPTIONS = [o["code"] for o in MAYO["options"]]
PANELISTS = ["P01", "P02", "P03", "007", "dr-a"]
LONG_HEADER = ["round", "panelist", "statement", "rating"]
SELECTIONS_HEADER = ["round", "panelist", "vignette", "option"]

cells = {
    "round": st.one_of(st.sampled_from(["1", "1", "2", "3", ""]), odd_number),
    "panelist": st.one_of(st.sampled_from(PANELISTS), odd_text),
    "statement": st.one_of(st.sampled_from(STATEMENTS), odd_text),
    "rating": st.one_of(st.sampled_from([str(r) for r in range(0, 11)] + [""]), odd_number),
    "vignette": st.one_of(st.sampled_from(VIGNETTES), odd_text),
    "option": st.one_of(st.sampled_from(OPTIONS), odd_text),
}


def _cell(column: str):
    return cells.get(column, st.one_of(st.sampled_from([str(r) for r in range(1, 10)] + [""]), odd_scalar))


@st.composite
def csv_files(draw, header: list[str]):
    """A CSV file around `header`: rows of plausible or hostile cells, some rows short or long,
    sometimes a BOM, CRLF line ends or broken quoting."""
    columns = draw(st.one_of(st.just(header), st.permutations(header),
                             st.lists(st.one_of(st.sampled_from(header + STATEMENTS), odd_text), max_size=6)))
    rows = draw(st.lists(
        st.one_of(
            st.tuples(*[_cell(c) for c in columns]).map(list),
            st.lists(st.one_of(*[_cell(c) for c in columns] or [odd_scalar]), max_size=len(columns) + 2),
        ),
        max_size=8,
    ))
    out = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    writer = csv.writer(out, quoting=quoting, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])))
    writer.writerow(columns)
    writer.writerows(rows)
    text = out.getvalue()
    if draw(st.booleans()):
        # Broken quoting: a stray quote somewhere.
        at = draw(st.integers(0, len(text)))
        text = text[:at] + '"' + text[at:]
    raw = text.encode("utf-8")
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + raw


def _import_responses(*args: str) -> tuple[str, list[str]] | None:
    """None if the files imported, else the CommandError's message and the report's lines."""
    err = StringIO()
    try:
        call_command("import_responses", "mayo-trd", *args, stdout=StringIO(), stderr=err)
    except CommandError as error:
        return str(error), err.getvalue().rstrip("\n").split("\n") if err.getvalue() else []
    return None


def _responses_are_imported_or_refused(paths: list[str], *args: str):
    before = snapshot()
    refused = _import_responses(*args)
    if refused is not None:
        message, lines = refused
        assert message == f"nothing imported: {len(lines)} problem(s) found, listed above"
        for line in lines:
            assert re.match(rf"({'|'.join(map(re.escape, paths))}): line \d+: \S", line), line
        assert snapshot() == before
    return refused


class TestResponseFiles:
    @fuzz_settings(60)
    @given(
        ratings=st.one_of(csv_files(LONG_HEADER), csv_files(["panelist", *STATEMENTS[:3]]),
                          csv_files(["round", "panelist", *STATEMENTS[:2]])),
        selections=st.one_of(st.none(), csv_files(SELECTIONS_HEADER)),
        round_number=st.one_of(st.none(), st.integers(-3, 2**15 + 3), st.just(10**12)),
    )
    # Round numbers beyond what the database holds, and ratings too long for a float.
    @example(ratings=b"round,panelist,statement,rating\n99999999999999999999,P01,base-main,8\n",
             selections=None, round_number=None)
    @example(ratings=b"round,panelist,statement,rating\n1000000000,P01,base-main,8\n", selections=None,
             round_number=None)
    @example(ratings=b"round,panelist,statement,rating\n1,P01,base-main," + b"9" * 5000 + b"\n", selections=None,
             round_number=None)
    @example(ratings=b"panelist,base-main\nP01,8\n", selections=None, round_number=10**12)
    # A NUL in a label, which PostgreSQL can neither store nor look up.
    @example(ratings=b"round,panelist,statement,rating\n1,P\x0001,base-main,8\n", selections=None,
             round_number=None)
    @example(ratings=b"", selections=b"\x00\xff\xfe", round_number=None)
    # A stray quote makes a header column that holds a line break: quoted, it stays on its report line.
    @example(ratings=b"round,panelist,statement,rating\n",
             selections=b'"round","panelist","vignette","option""\n"1","P01","base","sga"\n', round_number=None)
    def test_hostile_files_are_imported_or_refused_line_by_line(self, mayo_study, tmp_path, ratings, selections,
                                                                 round_number):
        paths = [_write(tmp_path, "ratings.csv", ratings)]
        args = ["--ratings", paths[0]]
        if selections is not None:
            paths.append(_write(tmp_path, "nr.csv", selections))
            args += ["--not-recommended", paths[1]]
        if round_number is not None:
            args += ["--round", str(round_number)]
        with rolled_back():
            _responses_are_imported_or_refused(paths, *args)

    @fuzz_settings(30)
    @given(rows=st.dictionaries(st.tuples(st.sampled_from(PANELISTS), st.sampled_from(STATEMENTS)),
                                st.sampled_from([str(r) for r in range(1, 10)] + [""]), min_size=1, max_size=20),
           style=st.sampled_from(["plain", "bom", "crlf", "quoted", "spaced", "columns reordered"]))
    def test_a_valid_long_file_imports_every_row(self, mayo_study, tmp_path, rows, style):
        path = _write(tmp_path, "ratings.csv", _long_file(rows, style))
        with rolled_back():
            assert _import_responses("--ratings", path) is None
            rated = {(p, s): r for (p, s), r in rows.items() if r}
            assert dict(
                ((a.participant.label, a.item.code), str(a.rating))
                for a in Answer.objects.select_related("participant", "item").exclude(rating=None)
            ) == rated
            assert Submission.objects.count() == len({p for p, _ in rows})

    @fuzz_settings(20)
    @given(
        statements=st.lists(st.sampled_from(STATEMENTS), min_size=1, unique=True),
        panelists=st.lists(st.sampled_from(PANELISTS), min_size=1, unique=True),
        data=st.data(),
    )
    def test_a_valid_wide_file_imports_every_cell(self, mayo_study, tmp_path, statements, panelists, data):
        grid = {
            (p, s): data.draw(st.sampled_from([str(r) for r in range(1, 10)] + [""]), label=f"{p} {s}")
            for p in panelists
            for s in statements
        }
        lines = [",".join(["panelist", *statements])]
        lines += [",".join([p, *(grid[p, s] for s in statements)]) for p in panelists]
        path = _write(tmp_path, "wide.csv", "\n".join(lines) + "\n")
        with rolled_back():
            assert _import_responses("--ratings", path, "--round", "1") is None
            rated = {key: rating for key, rating in grid.items() if rating}
            assert dict(
                ((a.participant.label, a.item.code), str(a.rating))
                for a in Answer.objects.select_related("participant", "item").exclude(rating=None)
            ) == rated
            assert Submission.objects.count() == len(panelists)

    @fuzz_settings(40)
    @given(rows=st.dictionaries(st.tuples(st.sampled_from(PANELISTS), st.sampled_from(STATEMENTS)),
                                st.sampled_from([str(r) for r in range(1, 10)]), min_size=2, max_size=12),
           data=st.data())
    def test_a_valid_long_file_with_a_cell_changed_is_imported_or_refused_at_that_line(
        self, mayo_study, tmp_path, rows, data
    ):
        table = [["1", p, s, r] for (p, s), r in rows.items()]
        index = data.draw(st.integers(0, len(table) - 1), label="row")
        column = data.draw(st.integers(0, 3), label="column")
        # Kept free of what would split or join lines, so that the row keeps its line number.
        value = data.draw(
            st.one_of(_cell(LONG_HEADER[column]), odd_text).filter(lambda v: not re.search(r'[\r\n",]|^\s*$', v)),
            label="value",
        )
        assume(value.strip() != table[index][column])
        table[index][column] = value
        text = "\n".join(",".join(row) for row in [LONG_HEADER, *table]) + "\n"
        path = _write(tmp_path, "ratings.csv", text)
        with rolled_back():
            refused = _responses_are_imported_or_refused([path], "--ratings", path)
        if refused is not None:
            line = index + 2
            report = "\n".join(refused[1])
            # The changed row is at fault, or it now doubles a later row, which names it.
            assert f": line {line}: " in report or f"on line {line}" in report, report


def _long_file(rows: dict, style: str) -> bytes:
    header = list(LONG_HEADER)
    if style == "columns reordered":
        header = ["rating", "statement", "panelist", "round"]
    records = [{"round": "1", "panelist": p, "statement": s, "rating": r} for (p, s), r in rows.items()]
    out = io.StringIO()
    writer = csv.DictWriter(
        out,
        header,
        quoting=csv.QUOTE_ALL if style == "quoted" else csv.QUOTE_MINIMAL,
        lineterminator="\r\n" if style == "crlf" else "\n",
    )
    writer.writeheader()
    for record in records:
        writer.writerow({k: f"  {v} " if style == "spaced" else v for k, v in record.items()})
    return (b"\xef\xbb\xbf" if style == "bom" else b"") + out.getvalue().encode("utf-8")


# -- what the fuzzing found, pinned ----------------------------------------------


def _mayo_text(old: str, new: str) -> str:
    """The Mayo study file with the first `old` replaced by `new`."""
    text = MAYO_FILE.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


class TestStudyFileFindings:
    @pytest.mark.parametrize(
        "old, new, expected",
        [
            ("base: base", "base: [base]", "vignettes[1].base: unknown vignette code ['base']"),
            ("vignette: base", "vignette: {a: 1}", "statements[0].vignette: unknown vignette code {'a': 1}"),
            ("options: [sga, tms, ketamine]", "options: [[sga], tms]",
             "statements[0].options[0]: unknown option code ['sga']"),
        ],
    )
    def test_a_list_where_a_code_belongs_is_an_unknown_code(self, tmp_path, old, new, expected):
        # A list or mapping cannot be looked up among the codes: it was a TypeError.
        path = _write(tmp_path, "mayo.yaml", _mayo_text(old, new))

        assert _study_file_is_imported_or_refused(path) == f"{path}: {expected}"

    def test_a_text_with_a_nul_is_refused_naming_its_key(self, tmp_path):
        # SQLite stores a NUL, PostgreSQL refuses it with a ValueError in the middle of the import.
        path = _write(tmp_path, "mayo.yaml", _mayo_text("title: Base clinical vignette", 'title: "Base\\0vignette"'))

        assert _study_file_is_imported_or_refused(path) == f"{path}: vignettes[0].title: contains a NUL character"

    @pytest.mark.parametrize(
        "raw, expected",
        [
            ("? [a, b]\n: c\n", "line 1: invalid YAML: a key must be text, not list"),
            ("options: &a [*a]\n", "line 1: invalid YAML: aliases (*name) are not allowed"),
            ("[" * 5000 + "]" * 5000, "lists or mappings are nested too deeply"),
            # libyaml's wording: study files are parsed by the C loader.
            ("\x00", "invalid YAML: unacceptable character #x0000: control characters are not allowed "
                     'in "<unicode string>", position 0'),
        ],
    )
    def test_yaml_that_python_cannot_hold_is_refused_on_one_line(self, tmp_path, raw, expected):
        path = _write(tmp_path, "study.yaml", raw)

        assert _study_file_is_imported_or_refused(path) == f"{path}: {expected}"

    def test_json_nested_too_deeply_is_refused(self, tmp_path):
        path = _write(tmp_path, "study.json", "[" * 100_000 + "]" * 100_000)

        assert _study_file_is_imported_or_refused(path) == f"{path}: lists or mappings are nested too deeply"

    def test_a_threshold_that_is_not_a_number_is_refused(self, tmp_path):
        # Decimal("NaN") cannot be compared: an InvalidOperation escaped the check.
        text = _mayo_text("not_recommended_threshold: 50", "not_recommended_threshold: .nan")
        path = _write(tmp_path, "mayo.yaml", text)

        message = _study_file_is_imported_or_refused(path)

        assert message == f"{path}: not_recommended_threshold: must be a number, not nan"

    def test_an_unknown_key_with_a_line_break_is_quoted(self, tmp_path):
        path = _write(tmp_path, "study.json", json.dumps({"a\nb": 1}))

        message = _study_file_is_imported_or_refused(path)

        assert f"{path}: 'a\\nb': unknown key" in message

    def test_rule_parameters_with_text_and_number_keys_are_refused(self, tmp_path):
        # sorted() of 1 and "x" was a TypeError.
        path = _write(tmp_path, "mayo.yaml", _mayo_text("above_neutral: 5, mean_above: 7", "1: 2, x: 3"))

        assert _study_file_is_imported_or_refused(path) == (
            f"{path}: consensus: unknown parameter 1 for rule mayo; allowed: above_neutral, mean_above"
        )


class TestResponseFileFindings:
    @pytest.mark.parametrize("number", ["99999999999999999999", "1000000000", "32768"])
    def test_a_round_beyond_what_the_database_holds_is_not_a_round_number(self, mayo_study, tmp_path, number):
        # The checker sized an array by the largest round: 1e9 asked for 8 GB, 1e20 wrapped negative.
        path = _write(tmp_path, "ratings.csv", f"round,panelist,statement,rating\n{number},P01,base-main,8\n")

        _message, lines = _responses_are_imported_or_refused([path], "--ratings", path)

        assert lines == [f"{path}: line 2: round '{number}' is not a round number (1, 2, ...)"]

    def test_a_rating_of_five_thousand_digits_is_outside_the_scale(self, mayo_study, tmp_path):
        # int() refuses more than 4300 digits: a ValueError escaped.
        path = _write(tmp_path, "ratings.csv", "round,panelist,statement,rating\n1,P01,base-main," + "9" * 5000 + "\n")

        _message, lines = _responses_are_imported_or_refused([path], "--ratings", path)

        assert lines == [f"{path}: line 2: rating inf for 'base-main' is outside the scale 1-9"]

    def test_a_rating_too_large_for_a_float_is_outside_the_scale(self, mayo_study, tmp_path):
        # float(int("9" * 400)) was an OverflowError.
        path = _write(tmp_path, "ratings.csv", "round,panelist,statement,rating\n1,P01,base-main," + "9" * 400 + "\n")

        _message, lines = _responses_are_imported_or_refused([path], "--ratings", path)

        assert lines == [f"{path}: line 2: rating inf for 'base-main' is outside the scale 1-9"]

    def test_a_panelist_label_with_a_nul_is_refused(self, mayo_study, tmp_path):
        # PostgreSQL can neither look up nor store it.
        path = _write(
            tmp_path, "ratings.csv", "round,panelist,statement,rating\n1,P\x0001,base-main,8\n1,P02,base-main,7\n"
        )

        _message, lines = _responses_are_imported_or_refused([path], "--ratings", path)

        assert lines == [f"{path}: line 2: panelist 'P\\x0001' contains a NUL character"]

    def test_a_wide_file_with_a_round_beyond_the_database_is_refused(self, mayo_study, tmp_path):
        path = _write(tmp_path, "ratings.csv", "panelist,base-main\nP01,8\n")

        _message, lines = _responses_are_imported_or_refused([path], "--ratings", path, "--round", str(10**12))

        assert lines == [f"{path}: line 2: round '{10**12}' is not a round number (1, 2, ...)"]
