"""Reading YAML and JSON text within bounds, before any study-file check runs.

A study file is uploaded by any study creator, so reading it must finish well
inside a web worker's timeout whatever it holds (docs/performance.md measures
the worst case): a size cap, a cap on values and on nesting, no aliases, and
no whole number past the digits Python reads. A key given twice in a mapping,
a date that is no date and a number too long are refused with their line.
"""

import json
import re
from collections.abc import Hashable
from typing import Any

import yaml

# Bounds on what any study file may hold, so that parsing finishes well inside
# a web worker's timeout (docs/performance.md measures the worst case). A real
# study file is a few kilobytes: the Mayo study is 5 KB and 250 nodes.
MAX_BYTES = 256 * 1024
MAX_NODES = 50_000
MAX_DEPTH = 20

# libyaml's parser where PyYAML was built with it (the wheels are), else PyYAML's own.
_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# Python reads no whole number of more than this many digits (sys.get_int_max_str_digits),
# and a study file needs a few: past it, YAML and JSON alike refuse the file.
MAX_DIGITS = 4300
_TOO_MANY_DIGITS = 10**MAX_DIGITS


class _Constructor(yaml.constructor.SafeConstructor):
    """Builds Python values from checked nodes, refusing a key given twice in one mapping.

    PyYAML keeps the last value silently, which would hide a typo. A scalar
    PyYAML cannot build (a date 2026-13-45, a number of 5,000 digits) is
    refused with its line, as any other invalid YAML.
    """

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key must be text, not {type(key).__name__}", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {shown(key)} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        # The text is checked first: hexadecimal, octal and 1:2:3 numbers have no
        # digit limit, and 100,000 parts of 1:2:3 take seconds to multiply out.
        value = None if len(node.value) > MAX_DIGITS else super().construct_yaml_int(node)
        if value is None or abs(value) >= _TOO_MANY_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of more than {MAX_DIGITS:,} digits cannot be read", node.start_mark
            )
        return value

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            # datetime's own words: "month must be in 1..12".
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a date or time: {exc}", node.start_mark
            ) from exc


_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_yaml_int)
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


class TooDeep(Exception):
    """Lists or mappings nested past MAX_DEPTH, or past what Python's parser can hold."""


def _check_events(raw: str) -> None:
    """Refuses aliases, too many values and too deep nesting, before any node is built.

    Read as a stream of parser events, which libyaml produces without
    recursing; composing nodes recurses, and a file nested thousands deep
    would overflow the C stack. A study file never needs anchors: refusing
    an alias keeps a "billion laughs" file from being walked or printed.
    """
    depth = values = 0
    # bandit: reviewed; parsing yields events only, nothing is constructed.
    for event in yaml.parse(raw, Loader=_Parser):  # nosec B506
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", event.start_mark)
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise TooDeep
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1
        if isinstance(event, yaml.ScalarEvent | yaml.MappingStartEvent | yaml.SequenceStartEvent):
            values += 1
            if values > MAX_NODES:
                raise yaml.composer.ComposerError(
                    None, None, f"the file holds more than {MAX_NODES:,} values; a study file holds far fewer",
                    event.start_mark,
                )


def load_yaml(raw: str):
    _check_events(raw)
    # bandit: reviewed; composing builds nodes only, and the constructor is a SafeConstructor.
    root = yaml.compose(raw, Loader=_Parser)  # nosec B506
    return None if root is None else _Constructor().construct_document(root)


class LongNumber(Exception):
    """A JSON whole number past MAX_DIGITS; json.loads would raise a bare ValueError, without its line."""

    def __init__(self, digits: str):
        self.digits = digits


def json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise LongNumber(digits)
    return int(digits)


# A JSON string, or a whole number (not the start of a fraction or exponent).
_JSON_STRING_OR_INT = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?![\d.eE])')


def long_number_line(raw: str, digits: str) -> int:
    """The line of the whole number `digits`, looked for outside the strings (a text may hold the same digits)."""
    for token in _JSON_STRING_OR_INT.finditer(raw):
        if token.group() == digits:
            return raw.count("\n", 0, token.start()) + 1
    return 1


def shown(value: Any, limit: int = 60) -> str:
    """A value as a message quotes it: its repr, cut short, so that one bad value cannot flood the report."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class UnreadableText(Exception):
    """Text that is not a document within the bounds; its message is one line naming the source and, where known, the line."""


def read_bounded(raw: bytes | str, *, source: str, json_text: bool) -> Any:
    """The document in `raw` (JSON if `json_text`, else YAML), read within the bounds above."""
    if len(raw) > MAX_BYTES:
        raise UnreadableText(f"{source}: is larger than {MAX_BYTES // 1024} KB; a study file is a few kilobytes")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableText(f"{source}: is not UTF-8 text") from exc
    try:
        return json.loads(raw, parse_int=json_int) if json_text else load_yaml(raw)
    except json.JSONDecodeError as exc:
        raise UnreadableText(f"{source}: line {exc.lineno}: invalid JSON: {exc.msg}") from exc
    except LongNumber as exc:
        line = long_number_line(raw, exc.digits)
        raise UnreadableText(
            f"{source}: line {line}: invalid JSON: a number of more than {MAX_DIGITS:,} digits cannot be read"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        # One line: PyYAML's own text spans several, and the report is one problem a line.
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise UnreadableText(f"{source}: {where}invalid YAML: {problem}") from exc
    except (TooDeep, RecursionError) as exc:
        raise UnreadableText(f"{source}: lists or mappings are nested too deeply") from exc
