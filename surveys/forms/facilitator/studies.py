"""Forms of a study: a new one from a study file or from scratch, and its settings."""

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from consensus import Scale, describe, validate_params
from surveys.forms.fields import ShallowJSONField, TextAreaField
from surveys.models import Study
from surveys.models.studies import time_zones
from vignettes.validators import validate_no_link, validate_one_line


class StudyFileForm(forms.Form):
    """A new study from an uploaded study file or from the Mayo template; checked whole, like import_study."""

    file = forms.FileField(label=_("Study file (YAML or JSON)"), required=False)
    template = forms.BooleanField(label=_("Start from the Mayo study template"), required=False)
    slug = forms.SlugField(
        label=_("Slug"),
        required=False,
        max_length=Study._meta.get_field("slug").max_length,
        help_text=_("Leave blank to keep the file's slug."),
    )
    # Checked as Study.title is: a plain form runs no model validation.
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=Study._meta.get_field("title").max_length,
        validators=[validate_one_line, validate_no_link],
    )

    # As analysis.files.bounded.MAX_BYTES, checked here before the file is read.
    MAX_BYTES = 256 * 1024

    def clean(self):
        data = super().clean()
        upload, template = data.get("file"), data.get("template")
        if bool(upload) == bool(template):
            raise forms.ValidationError(_("Upload a study file or start from the template, one of the two."))
        if upload is not None and upload.size > self.MAX_BYTES:
            self.add_error("file", _("The file is larger than 256 KB; a study file is a few kilobytes."))
        return data


class StudySettingsForm(forms.ModelForm):
    """The study's scale, consensus rule and threshold; the rule's parameters as JSON, checked by consensus."""

    consensus_params = ShallowJSONField(
        label=_("Rule parameters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_('For example {"above_neutral": 5, "mean_above": 7}; leave {} for the rule defaults.'),
    )

    class Meta:
        model = Study
        fields = list(Study.SETTINGS_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[("", "")] + [(zone, zone) for zone in time_zones()],
        initial="UTC",
        required=False,
        help_text=Study._meta.get_field("time_zone").help_text,
    )
    deviation_reason = TextAreaField(
        label=_("Reason for the protocol deviation"),
        required=False,
        max_length=2000,
        rows=2,
        help_text=_(
            "The protocol was locked when round 1 opened. A change of the scale, rule, parameters, threshold "
            "or minimum n is a protocol deviation: say why. The history and the methods summary record it "
            "with the values before and after, and released rounds keep the verdicts the panel saw."
        ),
    )

    def __init__(self, *args, scale_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.protocol_locked = bool(self.instance.protocol_locked_at)
        if not self.protocol_locked:
            del self.fields["deviation_reason"]
        # Left blank, the study keeps the usual minimum.
        self.fields["minimum_n"].required = False
        self.fields["minimum_n"].validators.append(MinValueValidator(1))
        self.fields["minimum_n"].widget.attrs["min"] = 1
        if scale_locked:
            for name in Study.SCALE_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed: the panel has already rated on this scale.")

    def clean_time_zone(self):
        """Left out, the study keeps its zone (a new study's is UTC)."""
        return self.cleaned_data["time_zone"] or self.instance.time_zone or "UTC"

    def clean_minimum_n(self):
        value = self.cleaned_data["minimum_n"]
        return Study._meta.get_field("minimum_n").default if value is None else value

    def clean(self):
        data = super().clean()
        try:
            scale = Scale(min=data["scale_min"], max=data["scale_max"], neutral=data["scale_neutral"])
        except (KeyError, TypeError, ValueError) as error:
            if not self.errors:
                self.add_error("scale_neutral", str(error))
            return data
        params = data.get("consensus_params") or {}
        if not isinstance(params, dict):
            self.add_error("consensus_params", _("Give the parameters as a JSON object."))
            return data
        try:
            data["consensus_params"] = validate_params(data.get("consensus_rule") or "mayo", params, scale)
        except ValueError as error:
            self.add_error("consensus_params", str(error))
            return data
        if self.protocol_locked and not (data.get("deviation_reason") or "").strip():
            changed = [name for name in Study.PROTOCOL_FIELDS if name in data and data[name] != getattr(self.instance, name)]
            if changed:
                self.add_error(
                    "deviation_reason",
                    _("The protocol is locked: changing %(fields)s is a protocol deviation. Give its reason.")
                    % {"fields": ", ".join(name.replace("_", " ") for name in changed)},
                )
        # A missing rule already carries its "required" error; there is nothing to preview.
        if "consensus_rule" in data:
            self.preview = describe(data["consensus_rule"], data["consensus_params"], scale)
        return data


class StudyCreateForm(StudySettingsForm):
    """A new, empty study: its slug with the settings of StudySettingsForm and their plain-words preview."""

    class Meta(StudySettingsForm.Meta):
        fields = ["slug", *StudySettingsForm.Meta.fields]
        help_texts = {"slug": _("A short name for the study's web addresses, e.g. trd-next-step.")}
