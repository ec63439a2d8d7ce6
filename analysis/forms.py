"""The options of the results page and its downloads, read from the query string; the import page's upload."""

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from analysis.exports import FORMATS
from analysis.files.foreign import sheet
from analysis.files.foreign.export import TOOLS
from analysis.files.foreign.mapping import MappingError, load_mapping
from analysis.files.foreign.propose import propose
from analysis.files.foreign.reading import SheetError, read_export
from analysis.selectors import import_terms
from analysis.catalog import FILE_TABLES, TABLES
from surveys.models import Study

FORMAT_LABELS = {
    "csv": _("CSV"),
    "json": _("JSON"),
    "xlsx": _("Excel (XLSX)"),
    "md": _("Markdown"),
    "tex": _("LaTeX"),
}
# Besides the tables: the methods summary on its own, and every table plus
# the methods in one workbook (XLSX only: the other formats hold one table).
METHODS = "methods"
WORKBOOK = "all"
REPORT = "report"
DOWNLOADS = {
    **TABLES,
    **FILE_TABLES,
    METHODS: _("Methods summary"),
    WORKBOOK: _("Every table and the methods, one sheet each (XLSX)"),
    REPORT: _("Report for the paper: methods, final tables, flow, figures (Word)"),
}


class ResultsForm(forms.Form):
    """Round, rule, format and include-all: what the page shows and what a download holds.

    Every field may be left out: the page then shows the last closed round
    under the study's own rule, and downloads default to CSV.
    """

    round = forms.TypedChoiceField(label=_("Round"), coerce=int, required=False, empty_value=None)
    rule = forms.ChoiceField(label=_("Consensus rule"), required=False)
    format = forms.ChoiceField(
        label=_("File format"), required=False, choices=[(fmt, FORMAT_LABELS[fmt]) for fmt in FORMATS]
    )
    include_all = forms.BooleanField(
        label=_("Include every statement"),
        required=False,
        help_text=_("List statements and options below the threshold too, each with its verdict."),
    )

    def __init__(self, *args, study: Study, rounds, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].choices = [("", _("Last closed round"))] + [
            (r.number, _("Round %(number)d (%(kind)s, %(status)s)")
             % {"number": r.number, "kind": r.get_kind_display(), "status": r.get_status_display().lower()})
            for r in rounds
        ]
        self.fields["rule"].choices = [
            ("", _("The study's rule: %(rule)s") % {"rule": study.get_consensus_rule_display()})
        ] + list(Study._meta.get_field("consensus_rule").choices)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_action = action
        self.helper.form_id = "results-options"
        self.helper.layout = self.layout(_("Show results"))

    @staticmethod
    def layout(button: str, *first) -> Layout:
        """The fields `first`, then round, rule and format side by side, then include-all and the button."""
        return Layout(
            *first,
            Row(
                Column("round", css_class="col-md-3"),
                Column("rule", css_class="col-md-5"),
                Column("format", css_class="col-md-4"),
            ),
            "include_all",
            StrictButton(button, type="submit", css_class="btn-primary"),
        )

    def clean_rule(self):
        # Blank means the study's own rule, with its own parameters.
        return self.cleaned_data["rule"] or None

    def clean_format(self):
        return self.cleaned_data["format"] or "csv"


class DownloadForm(ResultsForm):
    """The results options plus which table to download."""

    table = forms.ChoiceField(label=_("Table"), choices=list(DOWNLOADS.items()))
    pseudonyms = forms.BooleanField(
        label=_("Name each comment's author by pseudonym"),
        required=False,
        help_text=_("Comments are unattributed unless you ask; the pseudonyms are those of the raw answers."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.form_id = "download-options"
        self.helper.layout = self.layout(_("Download"), "table", "pseudonyms")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("table") == REPORT:
            # One format only; the page's format choice is about tables.
            cleaned["format"] = "docx"
            return cleaned
        if cleaned.get("table") == WORKBOOK and not self.data.get("format"):
            cleaned["format"] = "xlsx"
        if cleaned.get("table") == WORKBOOK and cleaned.get("format") not in (None, "xlsx"):
            self.add_error(
                "format", _("Every table in one file is only available as an Excel workbook: choose XLSX.")
            )
        return cleaned


class ImportForm(forms.Form):
    """Another tool's export, its REDCap dictionary and the mapping, sent together each time.

    Nothing is kept between steps: the page proposes a mapping in the
    textarea, and the analyst sends the file again with it to check or to
    import. The export's identities live only as long as the request.
    """

    CHECK, IMPORT, DOWNLOAD = "check", "import", "download"
    MAX_BYTES = sheet.MAX_BYTES

    export = forms.FileField(
        label=_("Export file"),
        help_text=_("Microsoft Forms: the XLSX (or a CSV saved from it). REDCap: the CSV, raw or labels."),
    )
    tool = forms.ChoiceField(
        label=_("Tool"),
        required=False,
        choices=[("", _("Recognise it"))] + list(TOOLS.items()),
    )
    dictionary = forms.FileField(
        label=_("REDCap data dictionary"), required=False, help_text=_("REDCap only: the project's data dictionary (CSV).")
    )
    mapping = forms.CharField(
        label=_("Mapping (YAML)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "font-monospace"}),
        help_text=_(
            "Leave empty to have one proposed. Each question maps to a statement code, "
            "{not_recommended: VIGNETTE} or ignore; answer labels map to scale points."
        ),
    )
    action = forms.ChoiceField(choices=[(CHECK, CHECK), (IMPORT, IMPORT), (DOWNLOAD, DOWNLOAD)], required=False)

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.study = study

    def clean(self):
        data = super().clean()
        data["action"] = data.get("action") or self.CHECK
        upload, dictionary = data.get("export"), data.get("dictionary")
        for name, file in (("export", upload), ("dictionary", dictionary)):
            if file is not None and file.size > self.MAX_BYTES:
                self.add_error(name, _("The file is larger than %(mb)d MB.") % {"mb": self.MAX_BYTES // (1024 * 1024)})
        if self.errors:
            return data
        try:
            data["export"] = read_export(source=upload, tool=data.get("tool") or None, dictionary=dictionary)
        except SheetError as error:
            self.add_error("dictionary" if dictionary is not None and dictionary.name in str(error) else "export", str(error))
            return data
        terms = import_terms(study=self.study)
        data["proposed"] = None
        if not data.get("mapping", "").strip():
            data["proposed"] = propose(data["export"], terms)
            data["mapping"] = None
            return data
        try:
            data["mapping"] = load_mapping(data["mapping"], source=_("mapping"), terms=terms)
        except MappingError as error:
            for line in error.errors[:100]:
                self.add_error("mapping", line)
        return data
