"""Forms of building a draft round: a statement, a vignettes x options matrix, an item edited, options merged."""

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.forms.fields import BoundedModelMultipleChoiceField, TextAreaField
from surveys.models import Item
from vignettes.forms import OptionForm


class StatementForm(forms.Form):
    vignette = forms.ModelChoiceField(label=_("Vignette"), queryset=None)
    code = forms.SlugField(label=_("Code"), max_length=100)
    text = TextAreaField(label=_("Statement"), max_length=2000, rows=2)
    options = BoundedModelMultipleChoiceField(
        label=_("Options it names"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vignette"].queryset = study.vignettes.all()
        self.fields["options"].queryset = study.options.all()


class MatrixForm(forms.Form):
    """Vignettes x options in one item type, for a development round."""

    # The round's page shows this form beside StatementForm: prefixed, its
    # fields (both have "options") keep ids and labels of their own.
    PREFIX = "matrix"

    vignettes = BoundedModelMultipleChoiceField(
        label=_("Vignettes"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    options = BoundedModelMultipleChoiceField(label=_("Options"), queryset=None, widget=forms.CheckboxSelectMultiple)
    item_type = forms.ChoiceField(label=_("Ask as"), choices=Item.Type.choices)
    max_choices = forms.IntegerField(
        label=_("Top how many"), required=False, min_value=1, max_value=20, help_text=_("For top choices only.")
    )

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vignettes"].queryset = study.vignettes.all()
        self.fields["options"].queryset = study.options.all()

    def clean(self):
        data = super().clean()
        if data.get("item_type") == Item.Type.TOP_K and not data.get("max_choices"):
            self.add_error("max_choices", _("Say how many top choices each panelist picks."))
        return data


class ItemEditForm(forms.Form):
    """An item's text and, for items that name or offer options, which ones."""

    text = TextAreaField(label=_("Text"), max_length=2000, rows=3)
    options = BoundedModelMultipleChoiceField(
        label=_("Options"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, item: Item, study, **kwargs):
        kwargs.setdefault(
            "initial", {"text": item.text, "options": [link.option_id for link in item.item_options.all()]}
        )
        super().__init__(*args, **kwargs)
        self.item = item
        if item.type == Item.Type.LIKERT:
            self.fields["options"].label = _("Options the statement names")
        elif item.type in Item.OPTION_LIST_TYPES:
            self.fields["options"].label = _("Options offered")
            self.fields["options"].required = True
        else:
            del self.fields["options"]
            return
        self.fields["options"].queryset = study.options.all()

    def clean_options(self):
        options = self.cleaned_data["options"]
        if self.item.type == Item.Type.TOP_K and len(options) < self.item.max_choices:
            raise forms.ValidationError(
                _("Offer at least %(k)s options: each panelist picks up to %(k)s.") % {"k": self.item.max_choices}
            )
        return options


class OptionMergeForm(OptionForm):
    """Two or more options to ask as one from this round on, and the option they become."""

    merge = BoundedModelMultipleChoiceField(
        label=_("Options to merge"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    field_order = ["merge", "code", "name", "short", "group"]

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, study=study, **kwargs)
        self.fields["merge"].queryset = study.options.all()
        self.fields["code"].label = _("Code of the merged option")
        self.fields["name"].label = _("Name of the merged option")

    def clean_merge(self):
        options = self.cleaned_data["merge"]
        if len(options) < 2:
            raise forms.ValidationError(_("Tick at least two options to merge."))
        return options
