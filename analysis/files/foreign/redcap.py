"""REDCap exports: a raw or labels CSV read with the project's data dictionary.

Raw exports head their columns with field names: the record id first (named
by the project: record_id, participant_id, id ...), then perhaps
redcap_event_name, redcap_repeat_instrument/instance, redcap_data_access_group,
redcap_survey_identifier, <form>_timestamp ("[not completed]" when not) and
<form>_complete (0 incomplete, 1 unverified, 2 complete). A checkbox field is
one column per choice, <field>___<code>, holding 0 or 1; codes may be letters.

Labels exports head their columns with the fields' labels ("Complete?" once
per form), write checkboxes as "<label> (choice=<choice>)" holding Checked or
Unchecked, and write choices' labels rather than codes. Either way a row's
answers are read as labels, keyed by field name, so that one mapping serves
both kinds of export.
"""

import re

from analysis.files.foreign.export import REDCAP, Export, Question, Row, preview
from analysis.files.foreign.sheet import Sheet, SheetError

DICTIONARY_COLUMNS = ("Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label")
CHOICES_COLUMN = "Choices, Calculations, OR Slider Labels"
IDENTIFIER_COLUMN = "Identifier?"
VALIDATION_COLUMN = "Text Validation Type OR Show Slider Number"
NOT_ASKED = {"descriptive"}
RAW_SPECIAL = {
    "redcap_event_name": "event",
    "redcap_repeat_instrument": "ignore",
    "redcap_repeat_instance": "ignore",
    "redcap_data_access_group": "ignore",
    "redcap_survey_identifier": "survey_identifier",
}
LABEL_SPECIAL = {
    "event name": "event",
    "repeat instrument": "ignore",
    "repeat instance": "ignore",
    "data access group": "ignore",
    "survey identifier": "survey_identifier",
    "survey timestamp": "timestamp",
    "complete?": "complete",
}
_CHECKBOX_LABEL = re.compile(r"^(?P<label>.*) \(choice=(?P<choice>.*)\)$", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
COMPLETE = {"2", "complete"}


class Field:
    def __init__(self, name: str, form: str, kind: str, label: str, choices: dict[str, str], identifier=False):
        self.name, self.form, self.kind, self.label, self.choices = name, form, kind, label, choices
        # Marked "Identifier?" in the dictionary, or an email: never shown, whatever the mapping does with it.
        self.identifier = identifier


def _choices(text: str) -> dict[str, str]:
    """ "1, one | 2 ,two|3,three, with a comma" -> {"1": "one", "2": "two", "3": "three, with a comma"}"""
    choices = {}
    for part in text.split("|"):
        code, comma, label = part.partition(",")
        if comma and code.strip():
            choices[code.strip()] = " ".join(label.split())
    return choices


def read_dictionary(sheet: Sheet) -> list[Field]:
    """The fields, by the dictionary's column names or, failing those, by position (older exports differ in name)."""
    header = [h.strip() for h in sheet.header]
    named = all(column in header for column in DICTIONARY_COLUMNS)
    if not named and len(header) < 5:
        raise SheetError(
            f"{sheet.name}: is not a REDCap data dictionary (expected the columns {', '.join(DICTIONARY_COLUMNS)} ...)"
        )
    index = {c: header.index(c) if named else i for i, c in enumerate(DICTIONARY_COLUMNS)}
    choices_at = header.index(CHOICES_COLUMN) if CHOICES_COLUMN in header else 5
    identifier_at = header.index(IDENTIFIER_COLUMN) if IDENTIFIER_COLUMN in header else 10
    validation_at = header.index(VALIDATION_COLUMN) if VALIDATION_COLUMN in header else 7
    fields = []
    for row in sheet.rows:
        name = row[index["Variable / Field Name"]]
        if not name:
            continue
        kind = row[index["Field Type"]].casefold()
        label = " ".join(_TAG.sub(" ", row[index["Field Label"]]).split())
        raw_choices = row[choices_at] if choices_at < len(row) and kind in ("radio", "dropdown", "checkbox") else ""
        identifier = (identifier_at < len(row) and row[identifier_at].casefold() == "y") or (
            validation_at < len(row) and row[validation_at].casefold() == "email"
        )
        fields.append(Field(name, row[index["Form Name"]], kind, label, _choices(raw_choices), identifier))
    if not fields:
        raise SheetError(f"{sheet.name}: the data dictionary lists no field")
    return fields


def looks_raw(sheet: Sheet, fields: list[Field]) -> bool:
    names = {f.name for f in fields}
    return bool(sheet.header) and (sheet.header[0] in names or any(h in RAW_SPECIAL for h in sheet.header))


def read(sheet: Sheet, fields: list[Field]) -> Export:
    """A raw or a labels export, told apart by its headers."""
    return _raw(sheet, fields) if looks_raw(sheet, fields) else _labels(sheet, fields)


def _question(field: Field) -> Question:
    return Question(
        key=field.name, text=field.label or field.name, column=field.name, choices=field.choices,
        checkbox=field.kind == "checkbox", identifying=field.identifier,
    )


def _raw(sheet: Sheet, fields: list[Field]) -> Export:
    by_name = {f.name: f for f in fields}
    forms = {f.form for f in fields}
    roles: dict[int, tuple[str, str]] = {0: ("identity", "record")}
    questions: dict[str, Question] = {}
    for i, header in enumerate(sheet.header[1:], start=1):
        base, sep, code = header.partition("___")
        if header in RAW_SPECIAL:
            roles[i] = (RAW_SPECIAL[header], "")
        elif header.endswith("_timestamp") and header[: -len("_timestamp")] in forms:
            roles[i] = ("timestamp", "")
        elif header.endswith("_complete") and header[: -len("_complete")] in forms:
            roles[i] = ("complete", "")
        elif sep and base in by_name and by_name[base].kind == "checkbox":
            field = by_name[base]
            # REDCap writes a letter code in lower case in the column's name.
            label = next((lab for c, lab in field.choices.items() if c.casefold() == code.casefold()), code)
            questions.setdefault(base, _question(field))
            roles[i] = ("checkbox", base + "\x00" + label)
        elif by_name.get(header) and by_name[header].kind in NOT_ASKED:
            roles[i] = ("ignore", "")
        else:
            field = by_name.get(header) or Field(header, "", "text", header, {})
            questions[header] = _question(field)
            roles[i] = ("question", header)
    hidden = {i for i, (role, key) in roles.items() if role == "question" and key in by_name and by_name[key].identifier}
    return _export(sheet, roles, questions, checked={"1"}, hidden=hidden)


def _labels(sheet: Sheet, fields: list[Field]) -> Export:
    """Headers are labels: each is given to the first field of that label not yet taken, in the dictionary's order."""
    asked = [f for f in fields if f.kind not in NOT_ASKED]
    by_label: dict[str, list[Field]] = {}
    for field in asked[1:]:
        by_label.setdefault(field.label.casefold(), []).append(field)
    roles: dict[int, tuple[str, str]] = {0: ("identity", "record")}
    questions: dict[str, Question] = {}
    hidden: set[int] = set()
    for i, header in enumerate(sheet.header[1:], start=1):
        folded = " ".join(header.split()).casefold()
        checkbox = _CHECKBOX_LABEL.match(header)
        if folded in LABEL_SPECIAL:
            roles[i] = (LABEL_SPECIAL[folded], "")
        elif folded.endswith(" timestamp") or folded == "timestamp":
            roles[i] = ("timestamp", "")
        elif checkbox and checkbox["label"].strip().casefold() in by_label:
            field = next(
                (f for f in by_label[checkbox["label"].strip().casefold()] if f.kind == "checkbox"),
                by_label[checkbox["label"].strip().casefold()][0],
            )
            questions.setdefault(field.name, _question(field))
            roles[i] = ("checkbox", field.name + "\x00" + " ".join(checkbox["choice"].split()))
        elif by_label.get(folded):
            field = by_label[folded].pop(0)
            questions[field.name] = _question(field)
            roles[i] = ("question", field.name)
            if field.identifier:
                hidden.add(i)
        else:
            questions[header] = Question(key=header, text=header, column=header)
            roles[i] = ("question", header)
    return _export(sheet, roles, questions, checked={"checked", "1"}, hidden=hidden)


def _export(
    sheet: Sheet, roles: dict[int, tuple[str, str]], questions: dict[str, Question], checked: set[str], hidden: set[int]
) -> Export:
    rows, events = [], []
    identity_columns = {"record": sheet.header[0]}
    identity_columns |= {"survey_identifier": sheet.header[i] for i, (r, _) in roles.items() if r == "survey_identifier"}
    for number, cells in zip(sheet.numbers, sheet.rows, strict=True):
        identities, answers, event, incomplete = {}, {}, "", ""
        completes, timestamps = [], []
        for key, question in questions.items():
            answers[key] = [] if question.checkbox else ""
        for i, (role, what) in roles.items():
            cell = cells[i]
            if role == "identity" and cell:
                identities[what] = cell
            elif role == "survey_identifier" and cell:
                identities["survey_identifier"] = cell.casefold()
            elif role == "event":
                event = cell
            elif role == "complete" and cell:
                completes.append((sheet.header[i], cell))
            elif role == "timestamp" and cell:
                timestamps.append((sheet.header[i], cell))
            elif role == "question":
                question = questions[what]
                # A raw export writes a choice's code: read it as its label.
                answers[what] = question.choices.get(cell, cell)
            elif role == "checkbox" and cell.casefold() in checked:
                key, _, label = what.partition("\x00")
                answers[key].append(label)
        not_done = [(h, c) for h, c in completes if c.casefold() not in COMPLETE]
        if not_done:
            incomplete = f"{not_done[0][0]} is {not_done[0][1]!r}, not complete (2)"
        elif not completes and any(c.casefold() == "[not completed]" for _, c in timestamps):
            incomplete = "its survey was not completed"
        if event and event not in events:
            events.append(event)
        rows.append(Row(number=number, identities=identities, answers=answers, event=event, incomplete=incomplete))
    hidden |= {i for i, (role, _) in roles.items() if role in ("identity", "survey_identifier")}
    return Export(
        tool=REDCAP,
        name=sheet.name,
        questions=list(questions.values()),
        rows=rows,
        identity_columns=identity_columns,
        ignored=[sheet.header[i] for i, (role, _) in roles.items() if role in ("ignore", "timestamp", "complete")],
        events=events,
        preview_header=sheet.header,
        preview_rows=preview(sheet.header, sheet.rows, hidden),
    )
