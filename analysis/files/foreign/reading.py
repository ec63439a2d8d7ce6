"""Which tool wrote an export, and its reader: the one door to analysis.files.foreign's readers."""

from analysis.files.foreign import msforms, redcap
from analysis.files.foreign.export import MSFORMS, REDCAP, Export
from analysis.files.foreign.sheet import SheetError, Source, read_sheet

__all__ = ["SheetError", "read_export"]


def read_export(*, source: Source, tool: str | None = None, dictionary: Source | None = None) -> Export:
    """The export in `source`; `tool` None recognises it (a REDCap export comes with its data dictionary)."""
    sheet = read_sheet(source)
    if tool is None:
        tool = REDCAP if dictionary is not None else MSFORMS if msforms.looks_like(sheet) else None
        if tool is None:
            raise SheetError(
                f"{sheet.name}: is not a Microsoft Forms export (ID, start and completion times, email, name, "
                "then the questions); a REDCap export needs its data dictionary"
            )
    if tool == REDCAP:
        if dictionary is None:
            raise SheetError(f"{sheet.name}: a REDCap export is read with its data dictionary (--dictionary)")
        return redcap.read(sheet, redcap.read_dictionary(read_sheet(dictionary)))
    if not msforms.looks_like(sheet):
        raise SheetError(
            f"{sheet.name}: does not have the shape of a Microsoft Forms export: a first column of response "
            "numbers, then start and completion times, email and name"
        )
    return msforms.read(sheet)
