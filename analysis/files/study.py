"""Reading and checking study files (SPEC 4.1), YAML or JSON.

`load_study_file` checks the whole file and returns a `StudySpec`, or raises
`StudyFileError` listing every problem as "<file>: <key>: <problem>". It
writes nothing; `analysis.services.studies.study_import` writes a checked spec. The
command `import_study` and the facilitator's upload form share both. The
text itself is read within bounds by `analysis.files.bounded`.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from analysis.files.bounded import UnreadableText, read_bounded, shown
from analysis.files.problems import FileProblems
from consensus import Scale, validate_params
from surveys.models import Study
from vignettes.models import Option, Vignette
from vignettes.validators import first_link, off_the_line

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
GROUPS = ("add", "switch")

TOP_KEYS = {"slug", "title", "description", "scale", "consensus", "not_recommended_threshold"}
REQUIRED_TOP_KEYS = {"slug", "title", "options", "vignettes"}
LIST_KEYS = ("options", "vignettes", "statements")
SCALE_KEYS = {"min", "max", "neutral"}
OPTION_KEYS = {"code", "name", "short", "group"}
VIGNETTE_KEYS = {"code", "title", "text", "base", "change"}
STATEMENT_KEYS = {"code", "vignette", "text", "options"}


def _max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


def _surrogate(text: str) -> str | None:
    """The first lone surrogate in `text` (JSON's "\\ud800"), written as its escape; no database can store one."""
    for char in text:
        if "\ud800" <= char <= "\udfff":
            return f"\\u{ord(char):04x}"
    return None


class StudyFileError(FileProblems):
    """A study file (SPEC 4.1) refused, each problem as "<file>: <key>: <problem>"."""


@dataclass(frozen=True)
class OptionSpec:
    code: str
    name: str
    short: str
    group: str


@dataclass(frozen=True)
class VignetteSpec:
    code: str
    title: str
    text: str
    base: str | None
    change: str


@dataclass(frozen=True)
class StatementSpec:
    code: str
    vignette: str
    text: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class StudySpec:
    source: str
    slug: str
    title: str
    description: str
    scale: Scale
    rule: str
    rule_params: dict
    not_recommended_threshold: Decimal
    options: tuple[OptionSpec, ...]
    vignettes: tuple[VignetteSpec, ...]
    statements: tuple[StatementSpec, ...]


def load_study_file(path: str | Path) -> StudySpec:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StudyFileError([f"{path}: cannot be read: {exc.strerror or exc}"]) from exc
    return parse_study_text(raw, source=str(path))


def parse_study_text(raw: bytes | str, *, source: str) -> StudySpec:
    try:
        data = read_bounded(raw, source=source, json_text=source.lower().endswith(".json"))
    except UnreadableText as exc:
        raise StudyFileError([str(exc)]) from exc
    return _Checker(source).check(data)


class _Checker:
    """Walks the parsed data once, collecting every problem before failing."""

    def __init__(self, source: str):
        self.source = source
        self.errors: list[str] = []

    def error(self, key: str, problem: str) -> None:
        self.errors.append(f"{self.source}: {key}: {problem}")

    def check(self, data: Any) -> StudySpec:
        if not isinstance(data, dict):
            raise StudyFileError([f"{self.source}: the file must hold a mapping of study keys"])
        self._unknown_keys(data, TOP_KEYS | set(LIST_KEYS), "")
        for key in sorted(REQUIRED_TOP_KEYS - data.keys()):
            self.error(key, "is missing")

        slug = self._code(data, "slug", "slug", max_length=_max_length(Study, "slug"))
        title = self._text(data, "title", "title", max_length=_max_length(Study, "title"), one_line=True)
        # The title goes into the platform's mail, which links to its own pages only.
        if first_link(title):
            self.error("title", f"must not hold a web or mail address (found {first_link(title)[:60]!r})")
        description = self._text(data, "description", "description", required=False)
        scale = self._scale(data.get("scale", {}))
        rule, rule_params = self._consensus(data.get("consensus", {}), scale)
        threshold = self._threshold(data.get("not_recommended_threshold", 50))
        options = self._options(self._list(data, "options"))
        vignettes = self._vignettes(self._list(data, "vignettes"))
        statements = self._statements(
            self._list(data, "statements"), {o.code for o in options}, {v.code for v in vignettes}
        )
        if self.errors:
            raise StudyFileError(self.errors)
        return StudySpec(
            source=self.source,
            slug=slug,
            title=title,
            description=description,
            scale=scale,
            rule=rule,
            rule_params=rule_params,
            not_recommended_threshold=threshold,
            options=options,
            vignettes=vignettes,
            statements=statements,
        )

    # -- building blocks -------------------------------------------------

    def _unknown_keys(self, mapping: dict, allowed: set, prefix: str) -> None:
        for key in mapping:
            if key not in allowed:
                # A key that is not plain text is quoted, so that it cannot break the report's lines,
                # and a long one is cut short.
                plain = isinstance(key, str) and 0 < len(key) <= 60 and key.isprintable() and key.strip() == key
                name = key if plain else shown(key)
                self.error(f"{prefix}{name}", f"unknown key (expected one of: {', '.join(sorted(allowed))})")

    def _text(self, mapping: dict, field: str, key: str, *, required=True, max_length=None, one_line=False) -> str:
        value = mapping.get(field)
        if value is None:
            if required:
                self.error(key, "is missing")
            return ""
        if not isinstance(value, str):
            self.error(key, f"must be text, not {type(value).__name__}")
            return ""
        value = value.strip()
        # PostgreSQL cannot store a NUL, and no study text needs one.
        if "\x00" in value:
            self.error(key, "contains a NUL character")
            return ""
        surrogate = _surrogate(value)
        if surrogate:
            self.error(key, f"contains {surrogate}, half of a UTF-16 surrogate pair, which is not a character")
            return ""
        # A title or a name is shown on one line; texts keep their line breaks.
        char = off_the_line(value) if one_line else None
        if char:
            self.error(key, f"must be one line, without line breaks, tabs or other control characters (found {char})")
            return ""
        if required and not value:
            self.error(key, "is empty")
        if max_length and len(value) > max_length:
            self.error(key, f"is {len(value)} characters long; at most {max_length} are allowed")
        return value

    def _code(self, mapping: dict, field: str, key: str, *, max_length: int) -> str:
        value = self._text(mapping, field, key, max_length=max_length)
        if value and not CODE_RE.match(value):
            self.error(key, f"{shown(value)} is not a code: use lowercase letters, digits, '-' and '_'")
        return value

    def _int(self, mapping: dict, field: str, key: str, default: int, bounds: tuple[int, int]) -> int | None:
        value = mapping.get(field, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"must be a whole number, not {shown(value)}")
            return None
        low, high = bounds
        if not low <= value <= high:
            self.error(key, f"{shown(value)} is outside {low}..{high}")
            return None
        return value

    def _list(self, data: dict, key: str) -> list | None:
        """The list under `key`, or None when it is absent or not a list."""
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            self.error(key, "must be a list")
            return None
        return value

    def _entries(self, items: list, key: str, allowed: set):
        """Yields (key prefix, mapping) for each well-formed entry of a list."""
        for i, entry in enumerate(items or []):
            prefix = f"{key}[{i}]"
            if not isinstance(entry, dict):
                self.error(prefix, "must be a mapping")
                continue
            self._unknown_keys(entry, allowed, f"{prefix}.")
            yield prefix, entry

    def _unique_code(self, entry: dict, prefix: str, codes: dict, *, max_length: int) -> str:
        """The entry's code, checked, and recorded in `codes` (code -> where first seen) unless it is a repeat."""
        key = f"{prefix}.code"
        code = self._code(entry, "code", key, max_length=max_length)
        if not code:
            return code
        if code in codes:
            self.error(key, f"duplicate code {code!r} (first at {codes[code]})")
        else:
            codes[code] = key
        return code

    # -- sections ---------------------------------------------------------

    def _scale(self, value: Any) -> Scale:
        if not isinstance(value, dict):
            self.error("scale", "must be a mapping with min, max and neutral")
            return Scale()
        self._unknown_keys(value, SCALE_KEYS, "scale.")
        low = self._int(value, "min", "scale.min", 1, Study.SCALE_RANGE)
        high = self._int(value, "max", "scale.max", 9, Study.SCALE_RANGE)
        if low is None or high is None:
            return Scale()
        neutral = self._int(value, "neutral", "scale.neutral", (low + high) // 2, Study.SCALE_RANGE)
        if neutral is None:
            return Scale()
        if low >= high:
            self.error("scale", f"min ({low}) must be below max ({high})")
            return Scale()
        if not low < neutral < high:
            self.error("scale.neutral", f"{neutral} must lie strictly between min ({low}) and max ({high})")
            return Scale()
        return Scale(min=low, max=high, neutral=neutral)

    def _consensus(self, value: Any, scale: Scale) -> tuple[str, dict]:
        if not isinstance(value, dict):
            self.error("consensus", "must be a mapping with a rule and its parameters")
            return "mayo", {}
        params = dict(value)
        rule = params.pop("rule", "mayo")
        try:
            return rule, validate_params(rule, params, scale)
        except ValueError as exc:
            self.error("consensus", str(exc))
            return "mayo", {}

    def _threshold(self, value: Any) -> Decimal:
        key = "not_recommended_threshold"
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InvalidOperation
            # Decimal(int) is exact; str() of a float is how it was written.
            threshold = Decimal(value) if isinstance(value, int) else Decimal(str(value))
            if threshold.is_nan():
                raise InvalidOperation
        except InvalidOperation:
            self.error(key, f"must be a number, not {shown(value)}")
            return Decimal(50)
        if not 0 < threshold <= 100:
            self.error(key, f"{shown(value)} is not a percentage above 0 and at most 100")
            return Decimal(50)
        # The column keeps so many decimals; it would round 0.001 to 0, which is no threshold.
        places = Study._meta.get_field(key).decimal_places
        if threshold != threshold.quantize(Decimal(1).scaleb(-places)):
            self.error(key, f"{shown(value)} has more than {places} decimal places")
            return Decimal(50)
        return threshold

    def _options(self, items: list) -> tuple[OptionSpec, ...]:
        codes: dict[str, str] = {}
        options = []
        for prefix, entry in self._entries(items, "options", OPTION_KEYS):
            code = self._unique_code(entry, prefix, codes, max_length=_max_length(Option, "code"))
            name = self._text(entry, "name", f"{prefix}.name", max_length=_max_length(Option, "name"), one_line=True)
            short_length = _max_length(Option, "short")
            short = self._text(
                entry, "short", f"{prefix}.short", required=False, max_length=short_length, one_line=True
            )
            short = short or name[:short_length]
            group = entry.get("group")
            if group not in GROUPS:
                self.error(f"{prefix}.group", f"must be one of {', '.join(GROUPS)}, not {shown(group)}")
            options.append(OptionSpec(code=code, name=name, short=short, group=group))
        if items == []:
            self.error("options", "the study needs at least one treatment option")
        return tuple(options)

    def _vignettes(self, items: list) -> tuple[VignetteSpec, ...]:
        codes: dict[str, str] = {}
        vignettes = []
        for prefix, entry in self._entries(items, "vignettes", VIGNETTE_KEYS):
            code = self._unique_code(entry, prefix, codes, max_length=_max_length(Vignette, "code"))
            title = self._text(
                entry, "title", f"{prefix}.title", max_length=_max_length(Vignette, "title"), one_line=True
            )
            base = entry.get("base")
            text = self._text(entry, "text", f"{prefix}.text", required=base is None)
            change = self._text(entry, "change", f"{prefix}.change", required=base is not None)
            vignettes.append(VignetteSpec(code=code, title=title, text=text, base=base, change=change))
        bases = {v.code for v in vignettes if v.base is None}
        for i, vignette in enumerate(vignettes):
            if vignette.base is None:
                continue
            if vignette.base == vignette.code:
                self.error(f"vignettes[{i}].base", "a vignette cannot be its own base")
            elif not isinstance(vignette.base, str) or vignette.base not in codes:
                self.error(f"vignettes[{i}].base", f"unknown vignette code {shown(vignette.base)}")
            elif vignette.base not in bases:
                self.error(
                    f"vignettes[{i}].base", f"{shown(vignette.base)} is itself a variation; name a base vignette"
                )
        if items == []:
            self.error("vignettes", "the study needs at least one vignette")
        return tuple(vignettes)

    def _statements(self, items: list, option_codes: set, vignette_codes: set) -> tuple[StatementSpec, ...]:
        codes: dict[str, str] = {}
        statements = []
        for prefix, entry in self._entries(items, "statements", STATEMENT_KEYS):
            # A statement's code is as short as the codes of vignettes and options it goes with.
            code = self._unique_code(entry, prefix, codes, max_length=_max_length(Vignette, "code"))
            vignette = entry.get("vignette")
            if not isinstance(vignette, str) or vignette not in vignette_codes:
                self.error(f"{prefix}.vignette", f"unknown vignette code {shown(vignette)}")
            text = self._text(entry, "text", f"{prefix}.text")
            options = entry.get("options", [])
            if not isinstance(options, list):
                self.error(f"{prefix}.options", "must be a list of option codes")
                options = []
            for j, option in enumerate(options):
                if not isinstance(option, str) or option not in option_codes:
                    self.error(f"{prefix}.options[{j}]", f"unknown option code {shown(option)}")
            if len(set(map(str, options))) != len(options):
                self.error(f"{prefix}.options", "names an option twice")
            statements.append(
                StatementSpec(code=code, vignette=vignette, text=text, options=tuple(str(o) for o in options))
            )
        return tuple(statements)


def render_study_file(data: dict) -> str:
    """A study file as YAML, keys in the order of SPEC 4.1, loadable by parse_study_text."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
