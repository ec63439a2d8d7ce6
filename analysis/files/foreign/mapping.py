"""The mapping of an export onto a study, as a small YAML file, and its application to the export's rows.

```yaml
tool: msforms               # or redcap
round: 2                    # the round the file holds (REDCap without events)
events: {round_1_arm_1: 1, round_2_arm_1: 2}   # REDCap longitudinal: event -> round
respondent: email           # email | name | none (Microsoft Forms); record | survey_identifier | none (REDCap)
include_incomplete: false   # rows the tool marks incomplete are left out unless true
columns:                    # every question of the export: a statement code, a vignette's
  "TMS would be my main choice ...": cad-main            #   not-recommended list, or ignore
  "Which options would you not recommend ...": {not_recommended: cad}
  "Any comments?": ignore
labels: {Strongly agree: 9}  # answer labels -> scale points ("9 - complete agreement" needs none)
options: {TMS (magnetic): tms}  # choices -> option codes (codes, names and short names need none)
```

Nothing here touches the database: `StudyTerms` brings the study's codes.
Applying a mapping gives SPEC 4.2 rows, each with the place in the export
it came from, or every problem by row and column.
"""

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from analysis.files.bounded import UnreadableText, read_bounded, shown
from analysis.files.foreign.export import MSFORMS, REDCAP, TOOLS, Export, where
from analysis.files.problems import FileProblems

IGNORE = "ignore"
NOT_RECOMMENDED = "not_recommended"
RESPONDENTS = {MSFORMS: ("email", "name", "none"), REDCAP: ("record", "survey_identifier", "none")}
KEYS = ("tool", "round", "events", "respondent", "include_incomplete", "columns", "labels", "options")
_LEADING_NUMBER = re.compile(r"^\s*(\d+)\s*(?:[-–—:.)=]|$)")
_WHOLE = re.compile(r"^[+-]?\d+$")


class MappingError(FileProblems):
    """A mapping refused, each bad key a line."""


@dataclass(frozen=True)
class StudyTerms:
    """What a mapping is checked against: the study's codes, plain."""

    statements: dict[str, str]  # rated statement code -> wording (any round)
    not_recommended: dict[str, str]  # vignette code -> the wording of its not-recommended question
    options: dict[str, tuple[str, str]]  # option code -> (name, short name)
    last_round: int
    vignettes: dict[str, str] = field(default_factory=dict)  # vignette code -> title


@dataclass
class Mapping:
    tool: str
    round: int | None = None
    events: dict[str, int] = field(default_factory=dict)
    respondent: str = "none"
    include_incomplete: bool = False
    columns: dict[str, str | dict] = field(default_factory=dict)
    labels: dict[str, int | None] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)

    def dump(self) -> str:
        """The mapping as YAML an analyst can read and edit, one column a line however long its question."""
        lines = [
            f"# How a {TOOLS[self.tool]} export maps onto the study: see docs/importing.md.",
            "# columns: a statement code, {not_recommended: <vignette code>}, or ignore.",
            "# labels: answer label -> scale point; a label left empty (~) must be given one.",
            f"tool: {self.tool}",
        ]
        if self.events:
            lines.append("events:")
            lines += [f"  {_quoted(event)}: {number}" for event, number in self.events.items()]
        else:
            lines.append(f"round: {self.round}")
        lines += [f"respondent: {self.respondent}", f"include_incomplete: {'true' if self.include_incomplete else 'false'}"]
        for name in ("columns", "labels", "options"):
            pairs = getattr(self, name)
            lines.append(f"{name}:" + ("" if pairs else " {}"))
            lines += [f"  {_quoted(key)}: {_value(value)}" for key, value in pairs.items()]
        return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar: any text on one line, never read as a number or a boolean.

    Characters YAML may not hold raw (controls, line breaks) are written as escapes.
    """
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _value(value) -> str:
    if value is None:
        return "~"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_quoted(v)}" for k, v in value.items()) + "}"
    return str(value) if isinstance(value, int) else _quoted(value)


def load_mapping(raw: bytes | str, *, source: str, terms: StudyTerms) -> Mapping:
    """The mapping in `raw`, checked against the study; raises MappingError naming each bad key."""
    try:
        data = read_bounded(raw, source=source, json_text=False)
    except UnreadableText as exc:
        raise MappingError([str(exc)]) from None
    if not isinstance(data, dict):
        raise MappingError([f"{source}: a mapping is a YAML mapping with the keys {', '.join(KEYS)}"])
    errors = []

    def bad(key: str, problem: str) -> None:
        errors.append(f"{source}: {key}: {problem}")

    for key in data:
        if key not in KEYS:
            bad(shown(key), f"unknown key (expected {', '.join(KEYS)})")
    tool = data.get("tool")
    if not isinstance(tool, str) or tool not in TOOLS:
        bad("tool", f"{shown(tool)} is not one of {', '.join(TOOLS)}")
        raise MappingError(errors)
    mapping = Mapping(tool=tool)
    number = data.get("round")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 32767):
        bad("round", f"{shown(number)} is not a round number (1, 2, ...)")
    mapping.round = number
    events = data.get("events") or {}
    if not isinstance(events, dict):
        bad("events", "expected event: round pairs")
        events = {}
    for event, value in events.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 32767:
            bad(f"events: {shown(event)}", f"{shown(value)} is not a round number (1, 2, ...)")
    mapping.events = {str(k): v for k, v in events.items()}
    if mapping.events and tool != REDCAP:
        bad("events", "events are REDCap's; a Microsoft Forms export holds one round: give round")
    elif mapping.events and mapping.round is not None:
        bad("round", "give round or events, not both")
    elif not mapping.events and mapping.round is None:
        bad("round", "give the round the file holds" + (", or events: for a longitudinal project" if tool == REDCAP else ""))
    respondent = data.get("respondent", "none")
    if respondent not in RESPONDENTS[tool]:
        bad("respondent", f"{shown(respondent)} is not one of {', '.join(RESPONDENTS[tool])}")
    mapping.respondent = respondent
    incomplete = data.get("include_incomplete", False)
    if not isinstance(incomplete, bool):
        bad("include_incomplete", f"{shown(incomplete)} is not true or false")
    mapping.include_incomplete = incomplete is True
    mapping.columns = _columns(data.get("columns"), terms, bad)
    mapping.labels = _pairs(data.get("labels"), "labels", bad, lambda v: isinstance(v, int) and not isinstance(v, bool))
    mapping.options = _pairs(data.get("options"), "options", bad, lambda v: isinstance(v, str) and v in terms.options)
    if errors:
        raise MappingError(errors)
    return mapping


def _columns(columns, terms: StudyTerms, bad) -> dict:
    if columns is None:
        return {}
    if not isinstance(columns, dict):
        bad("columns", "expected column: target pairs")
        return {}
    checked = {}
    for column, target in columns.items():
        key = f"columns: {shown(column)}"
        if isinstance(target, dict) and set(target) == {"statement"}:
            target = target["statement"]
        if target == IGNORE:
            checked[str(column)] = IGNORE
        elif isinstance(target, str):
            if target not in terms.statements:
                bad(key, f"unknown statement code {shown(target)} (a rated statement of the study, or ignore)")
            checked[str(column)] = target
        elif isinstance(target, dict) and set(target) == {NOT_RECOMMENDED}:
            if not isinstance(target[NOT_RECOMMENDED], str) or target[NOT_RECOMMENDED] not in terms.not_recommended:
                bad(key, f"vignette {shown(target[NOT_RECOMMENDED])} has no not-recommended question in the study")
            checked[str(column)] = {NOT_RECOMMENDED: str(target[NOT_RECOMMENDED])}
        else:
            bad(key, "expected a statement code, {not_recommended: <vignette code>} or ignore")
    return checked


def _pairs(pairs, name: str, bad, valid: Callable) -> dict:
    if pairs is None:
        return {}
    if not isinstance(pairs, dict):
        bad(name, "expected label: value pairs")
        return {}
    for key, value in pairs.items():
        if value is None:
            bad(f"{name}: {shown(key)}", "no value given" + (": give its scale point" if name == "labels" else ": give an option code"))
        elif not valid(value):
            bad(f"{name}: {shown(key)}", f"{shown(value)} is not " + ("a whole number" if name == "labels" else "an option code of the study"))
    return {str(k).strip(): v for k, v in pairs.items()}


# -- application ----------------------------------------------------------------


@dataclass
class Applied:
    """SPEC 4.2 rows, each with the place in the export it came from."""

    ratings: list[tuple[int, str, str, str]] = field(default_factory=list)  # round, panelist, statement, rating
    ratings_from: list[str] = field(default_factory=list)
    selections: list[tuple[int, str, str, str]] = field(default_factory=list)  # round, panelist, vignette, option
    selections_from: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # incomplete rows, each with why
    errors: list[str] = field(default_factory=list)


def scale_point(text: str, mapping: Mapping, choices: dict[str, str]) -> str | None:
    """An answer as a whole number, or None if it has none: mapped label, number, "9 - label", or its REDCap code."""
    if text in mapping.labels:
        return str(mapping.labels[text])
    if _WHOLE.match(text):
        return text
    if match := _LEADING_NUMBER.match(text):
        return match.group(1)
    code = next((c for c, label in choices.items() if label == text), None)
    return code if code is not None and _WHOLE.match(code) else None


def option_code(choice: str, mapping: Mapping, terms: StudyTerms) -> str | None:
    if choice in mapping.options:
        return mapping.options[choice]
    folded = choice.casefold()
    for code, names in terms.options.items():
        if folded == code.casefold() or folded in (n.casefold() for n in names):
            return code
    return None


def apply(export: Export, mapping: Mapping, terms: StudyTerms, pseudonym: Callable[[str | None], str]) -> Applied:
    """The export's rows as SPEC 4.2 rows; `pseudonym(identity or None)` gives each respondent's label."""
    result = Applied()
    if mapping.tool != export.tool:
        result.errors.append(f"{export.name}: is a {TOOLS[export.tool]} export, but the mapping is for {TOOLS[mapping.tool]}")
        return result
    # A column refused here is read as ignored, so that the rows' own problems are all found in the same pass.
    columns = dict(mapping.columns)
    for question in export.questions:
        target = mapping.columns.get(question.key)
        if target is None or (target != IGNORE and (question.identifying or (isinstance(target, str) and question.checkbox))):
            columns[question.key] = IGNORE
        if target is None:
            result.errors.append(
                f"{where(export.name, 1, question.column)}: unmapped column; map it under columns: "
                "to a statement code, {not_recommended: <vignette code>} or ignore"
            )
        elif target != IGNORE and question.identifying:
            result.errors.append(
                f"{where(export.name, 1, question.column)}: the data dictionary marks this field as identifying: "
                "map it to ignore (its content is never imported)"
            )
        elif isinstance(target, str) and target != IGNORE and question.checkbox:
            result.errors.append(
                f"{where(export.name, 1, question.column)}: a checkbox field holds choices, not a rating: "
                "map it to {not_recommended: <vignette code>} or ignore"
            )
    kind = mapping.respondent
    if kind != "none" and kind not in export.identity_columns:
        result.errors.append(f"{export.name}: the file has no {kind} column to tell respondents apart")
        return result
    mapping = dataclasses.replace(mapping, columns=columns)
    seen: dict[tuple[int, str], int] = {}
    for row in export.rows:
        place = where(export.name, row.number)
        if row.incomplete and not mapping.include_incomplete:
            result.left_out.append(f"{place}: left out as incomplete: {row.incomplete}")
            continue
        if mapping.events:
            if not row.event:
                result.errors.append(f"{where(export.name, row.number, 'redcap_event_name')}: the row has no event")
                continue
            if row.event not in mapping.events:
                result.errors.append(
                    f"{where(export.name, row.number, 'redcap_event_name')}: event {shown(row.event)} is mapped to "
                    "no round; add it under events:"
                )
                continue
            number = mapping.events[row.event]
        else:
            number = mapping.round
        identity = row.identities.get(kind) if kind != "none" else None
        if identity is not None:
            first = seen.setdefault((number, identity), row.number)
            if first != row.number:
                # The place and the column, never the identity itself.
                result.errors.append(
                    f"{where(export.name, row.number, export.identity_columns[kind])}: the same respondent as "
                    f"row {first} in round {number}"
                )
                continue
        label = pseudonym(identity)
        _row_answers(export, row, number, label, mapping, terms, result)
    return result


def _row_answers(export, row, number, label, mapping, terms, result) -> None:
    for question in export.questions:
        target = mapping.columns[question.key]
        answer = row.answers.get(question.key, "")
        place = where(export.name, row.number, question.column)
        if target == IGNORE:
            continue
        if isinstance(target, str):
            point = scale_point(answer, mapping, question.choices) if answer else ""
            if point is None:
                result.errors.append(f"{place}: answer {shown(answer)} has no scale point; give it one under labels:")
                continue
            result.ratings.append((number, label, target, point))
            result.ratings_from.append(place)
            continue
        choices = answer if isinstance(answer, list) else [c.strip() for c in answer.split(";") if c.strip()]
        for choice in choices:
            code = option_code(choice, mapping, terms)
            if code is None:
                result.errors.append(f"{place}: choice {shown(choice)} is no option of the study; map it under options:")
                continue
            result.selections.append((number, label, target[NOT_RECOMMENDED], code))
            result.selections_from.append(place)
