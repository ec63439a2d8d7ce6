"""What a reader makes of another tool's export: its questions and its respondents' rows, nothing written.

Identifying cells (email, name, record id, survey identifier) are kept only
in `Row.identities`, to be turned into a keyed-hash pseudonym; nothing that
reports on an export quotes them.
"""

from dataclasses import dataclass, field

from analysis.files.bounded import shown

MSFORMS = "msforms"
REDCAP = "redcap"
TOOLS = {MSFORMS: "Microsoft Forms", REDCAP: "REDCap"}


@dataclass
class Question:
    key: str  # what a mapping names it by: the header (Microsoft Forms) or the field name (REDCap)
    text: str  # the question's wording, matched against the statements'
    column: str  # the header an error names
    choices: dict[str, str] = field(default_factory=dict)  # REDCap: code -> label
    checkbox: bool = False  # answers are lists of the chosen labels
    identifying: bool = False  # REDCap's identifier fields: never quoted, never mapped but to ignore


@dataclass
class Row:
    number: int  # in the file, the header being row 1
    identities: dict[str, str]  # identifying kind -> the cell, never shown
    answers: dict[str, str | list[str]]  # question key -> the answer as written, or the chosen labels
    event: str = ""
    incomplete: str = ""  # why the tool marks the row incomplete; empty when complete


@dataclass
class Export:
    tool: str
    name: str
    questions: list[Question]
    rows: list[Row]
    identity_columns: dict[str, str]  # identifying kind -> its header
    ignored: list[str]  # headers read and left aside (times, quiz points, DAG ...)
    events: list[str] = field(default_factory=list)
    preview_header: list[str] = field(default_factory=list)
    preview_rows: list[list[str]] = field(default_factory=list)  # identifying cells blanked

    @property
    def tool_name(self) -> str:
        return TOOLS[self.tool]

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


def where(export_name: str, number: int, column: str | None = None) -> str:
    """The place of a problem: file, row and column, never a cell's content."""
    place = f"{export_name}: row {number}"
    return f"{place}, column {shown(column)}" if column is not None else place


def preview(header: list[str], rows: list[list[str]], hidden: set[int], count: int = 5) -> list[list[str]]:
    """The first rows, identifying cells replaced, for the page to show."""
    return [["(hidden)" if i in hidden and cell else cell for i, cell in enumerate(row)] for row in rows[:count]]
