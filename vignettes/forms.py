"""Forms of the study's content library: a vignette or variation, a treatment option."""

from django import forms
from django.utils.translation import gettext_lazy as _

from vignettes.models import Option, Vignette


class VignetteForm(forms.ModelForm):
    """A base vignette (its full text) or a variation (a base and the one aspect it changes)."""

    class Meta:
        model = Vignette
        fields = ["code", "title", "base", "text", "change"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4}), "change": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.study = study
        self.fields["base"].queryset = study.vignettes.filter(base=None)
        self.fields["base"].required = False
        self.fields["base"].help_text = _("Leave empty for a base vignette; choose one for a variation.")

    def clean_code(self):
        return _code_free_in_study(self.cleaned_data["code"], self.instance.study.vignettes)

    def clean(self):
        data = super().clean()
        if data.get("base") is None and not (data.get("text") or "").strip():
            self.add_error("text", _("A base vignette needs its text."))
        if data.get("base") is not None and not (data.get("change") or "").strip():
            self.add_error("change", _("Say what this variation changes in the base vignette."))
        return data


class OptionForm(forms.ModelForm):
    class Meta:
        model = Option
        fields = ["code", "name", "short", "group"]

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.study = study

    def clean_code(self):
        return _code_free_in_study(self.cleaned_data["code"], self.instance.study.options)


def _code_free_in_study(code: str, siblings) -> str:
    # The unique constraint names the study, which is not a form field, so the
    # form's own constraint check skips it: without this a duplicate would be a 500.
    if siblings.filter(code=code).exists():
        raise forms.ValidationError(_("This study already has %(code)s.") % {"code": code})
    return code


class VignetteEditForm(forms.ModelForm):
    """New wording for a vignette (its title and text) or a variation (its title and what it changes)."""

    class Meta:
        model = Vignette
        fields = ["title", "text", "change"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6}), "change": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A base vignette tells the whole case; a variation only what it changes.
        del self.fields["change" if self.instance.base_id is None else "text"]

    def clean(self):
        data = super().clean()
        if self.instance.base_id is None and not (data.get("text") or "").strip():
            self.add_error("text", _("A base vignette needs its text."))
        if self.instance.base_id is not None and not (data.get("change") or "").strip():
            self.add_error("change", _("Say what this variation changes in the base vignette."))
        return data


class OptionEditForm(forms.ModelForm):
    class Meta:
        model = Option
        fields = ["name", "short", "group"]
