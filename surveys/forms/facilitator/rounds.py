"""Forms of running a round and drafting the next: deadlines, reminders, what round N+1 carries."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.forms.fields import TextAreaField
from surveys.models import Item, Round
from vignettes.validators import validate_no_link


class DeadlineForm(forms.Form):
    """A deadline in the study's time zone; blank means no deadline when opening."""

    deadline = forms.DateTimeField(
        label=_("Deadline"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )

    def __init__(self, *args, required: bool = False, zone: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deadline"].required = required
        if zone:
            # Typed in the study's zone: surveys.access activates it for the request.
            self.fields["deadline"].help_text = _("In the study's time zone, %(zone)s.") % {"zone": zone}

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline is not None and deadline <= timezone.now():
            raise forms.ValidationError(_("Choose a moment in the future."))
        return deadline


class OpenForm(DeadlineForm):
    """Opening a round: its deadline, and the days before it on which those who have not submitted are reminded."""

    reminder_days = forms.CharField(
        label=_("Remind those who have not submitted, days before the deadline"),
        required=False,
        max_length=50,
        help_text=_("For example 3, 1: a reminder 3 days and another 1 day before the deadline. Leave blank for none."),
    )

    def clean_reminder_days(self) -> list[int]:
        raw = self.cleaned_data["reminder_days"]
        parts = [part for part in raw.replace(";", ",").replace(" ", ",").split(",") if part]
        if not all(part.isdigit() for part in parts):
            raise forms.ValidationError(_("Give whole numbers of days, separated by commas, e.g. 3, 1."))
        return [int(part) for part in parts]


class ReminderForm(forms.Form):
    """The facilitator's note inside the fixed reminder, which names the study and the platform and links to the round."""

    note = TextAreaField(
        label=_("A note from you (optional)"),
        required=False,
        max_length=1000,
        rows=4,
        validators=[validate_no_link],
        help_text=_(
            "The mail says which study and round it is about, when the round closes, and links to it; "
            "your note goes inside. It cannot hold links of its own."
        ),
    )



class NextRoundForm(forms.Form):
    """What round N+1 asks again of round N: the items to carry, their wording, merges and dropped variations."""

    ALL, NO_CONSENSUS, SELECTED, NEW_ONLY = "all", "no_consensus", "selected", "new_only"
    mode = forms.ChoiceField(
        label=_("Carry forward"),
        choices=[
            (ALL, _("Every item")),
            (NO_CONSENSUS, _("Only statements without consensus (with their vignettes' other items)")),
            (SELECTED, _("Only the items ticked below")),
            (NEW_ONLY, _("No item: only the new statements drafted below")),
        ],
        initial=ALL,
        widget=forms.RadioSelect,
    )
    carry = forms.MultipleChoiceField(label=_("Items"), required=False, widget=forms.CheckboxSelectMultiple)
    drop = forms.MultipleChoiceField(
        label=_("Drop these vignettes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    kind = forms.ChoiceField(label=_("Kind of the next round"), choices=Round.Kind.choices)
    merge = forms.MultipleChoiceField(
        label=_("Merge these items into one"), required=False, widget=forms.CheckboxSelectMultiple
    )
    merge_code = forms.SlugField(label=_("Code of the merged item"), required=False, max_length=100)
    merge_text = forms.CharField(label=_("Text of the merged item"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, round: Round, items: list[Item], drafts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.draft_fields = []
        study_options = [(str(o.pk), o.short) for o in round.study.options.all()] if drafts else []
        for draft in drafts:
            vid = draft.vignette.pk
            self.fields[f"draft_text_{vid}"] = forms.CharField(
                label=draft.vignette.title,
                initial=draft.text,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("A new statement for the next round; leave blank for none."),
            )
            self.fields[f"draft_options_{vid}"] = forms.MultipleChoiceField(
                label=_("Options it names"),
                choices=study_options,
                initial=[str(o.pk) for o in draft.options],
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.draft_fields.append((draft.vignette, f"draft_text_{vid}", f"draft_options_{vid}"))
        choices = [(str(item.pk), f"{item.code}: {item.text[:90]}") for item in items]
        self.fields["carry"].choices = choices
        self.fields["merge"].choices = choices
        vignettes = {item.vignette_id: item.vignette for item in items if item.vignette_id}
        self.fields["drop"].choices = [(str(pk), v.title) for pk, v in vignettes.items()]
        self.fields["kind"].initial = round.kind
        self.reword_fields = []
        for item in items:
            if item.type == Item.Type.LIKERT:
                name = f"reword_{item.pk}"
                self.fields[name] = forms.CharField(
                    label=item.code, initial=item.text, required=False, widget=forms.Textarea(attrs={"rows": 2})
                )
                self.reword_fields.append(name)

    def clean(self):
        data = super().clean()
        merge = data.get("merge") or []
        if len(merge) == 1:
            self.add_error("merge", _("Tick at least two items to merge."))
        if len(merge) >= 2:
            if not data.get("merge_code"):
                self.add_error("merge_code", _("Give the merged item a code."))
            if not (data.get("merge_text") or "").strip():
                self.add_error("merge_text", _("Give the merged item its text."))
        mode = data.get("mode")
        if mode == self.SELECTED and not data.get("carry") and len(merge) < 2:
            self.add_error("carry", _("Tick the items to carry forward."))
        if mode == self.NEW_ONLY and not self.new_statements():
            self.add_error("mode", _("Draft at least one new statement below, or choose items to carry."))
        return data

    @property
    def reword_bound_fields(self) -> list:
        """The rewording fields, bound, in the items' order: the page lists them without searching the form."""
        return [self[name] for name in self.reword_fields]

    @property
    def draft_bound_fields(self) -> list:
        """(text, options) bound fields of each drafted statement."""
        return [(self[text_name], self[options_name]) for _vignette, text_name, options_name in self.draft_fields]

    def new_statements(self) -> list[tuple[object, str, list[int]]]:
        """(vignette, text, option ids) of each drafted statement the facilitator kept."""
        kept = []
        for vignette, text_name, options_name in self.draft_fields:
            text = (self.cleaned_data.get(text_name) or "").strip()
            if text:
                kept.append((vignette, text, [int(pk) for pk in self.cleaned_data.get(options_name) or []]))
        return kept

    def rewordings(self) -> dict[int, str]:
        by_pk = {item.pk: item for item in self.items}
        changed = {}
        for name in self.reword_fields:
            pk = int(name.removeprefix("reword_"))
            text = (self.cleaned_data.get(name) or "").strip()
            if text and text != by_pk[pk].text:
                changed[pk] = text
        return changed

