"""Forms of the panelist's and facilitator's pages. They check and tidy; services write."""

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator, validate_email
from django.forms.fields import InvalidJSONInput
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consensus import Scale, describe, validate_params
from surveys.models import Answer, Item, Membership, Round, Study
from vignettes.models import Option, Vignette
from surveys.services import AnswerInput

COMMENT_MAX_LENGTH = 2000
# The value of a Likert item's "no answer" choice: an explicit blank.
NO_ANSWER = "none"
FIELD_PREFIX = "item-"


def field_name(item: Item) -> str:
    return f"{FIELD_PREFIX}{item.pk}"


class RankingWidget(forms.Widget):
    """One rank box per option, named `<field>-<option id>`; the template draws them."""

    def __init__(self, option_ids: list[int]):
        super().__init__()
        self.option_ids = option_ids

    def value_from_datadict(self, data, files, name):
        return {option_id: data.get(f"{name}-{option_id}", "").strip() for option_id in self.option_ids}

    def value_omitted_from_data(self, data, files, name):
        return not any(f"{name}-{option_id}" in data for option_id in self.option_ids)

    def subwidget_names(self, name: str) -> set[str]:
        return {f"{name}-{option_id}" for option_id in self.option_ids}


class RankingField(forms.Field):
    """Ranks 1..n for the item's n options, each at most once; blank boxes are unranked."""

    default_error_messages = {
        "invalid": _("Use whole numbers from 1 to %(n)s."),
        "duplicate": _("Rank %(rank)s is given to more than one option; give each rank once."),
        "incomplete": _("Rank every option, from 1 to %(n)s."),
    }

    def __init__(self, *, option_ids: list[int], **kwargs):
        self.option_ids = option_ids
        super().__init__(widget=RankingWidget(option_ids), **kwargs)

    def to_python(self, value) -> dict[int, int]:
        value = value or {}
        n = len(self.option_ids)
        ranks = {}
        for option_id, raw in value.items():
            if raw in ("", None):
                continue
            try:
                rank = int(raw)
            except (TypeError, ValueError):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid", params={"n": n})
            if not 1 <= rank <= n:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid", params={"n": n})
            ranks[option_id] = rank
        for rank in sorted(ranks.values()):
            if list(ranks.values()).count(rank) > 1:
                raise forms.ValidationError(self.error_messages["duplicate"], code="duplicate", params={"rank": rank})
        return ranks

    def validate(self, value):
        if self.required and len(value) != len(self.option_ids):
            raise forms.ValidationError(
                self.error_messages["incomplete"], code="incomplete", params={"n": len(self.option_ids)}
            )


class AtMostKField(forms.MultipleChoiceField):
    def __init__(self, *, k: int, **kwargs):
        self.k = k
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if len(value) > self.k:
            raise forms.ValidationError(
                _("Choose at most %(k)s options; you chose %(n)s.") % {"k": self.k, "n": len(value)}, code="too_many"
            )


@dataclass
class Entry:
    """An item as the voting page draws it: the item, its bound field and current value."""

    item: Item
    field: forms.BoundField
    value: Any
    neutral: int | None = None
    feedback: Any = None

    @property
    def points(self) -> list[dict]:
        """The radio choices of a rated item, with the scale's end and neutral points named."""
        anchors = {}
        if self.item.type == Item.Type.LIKERT:
            anchors = {
                self.item.scale_min: _("complete disagreement"),
                self.neutral: _("neutral"),
                self.item.scale_max: _("complete agreement"),
            }
        return [
            {"value": value, "label": label, "anchor": anchors.get(int(value)), "checked": value == self.value}
            for value, label in self.field.field.choices
            if value != NO_ANSWER
        ]

    @property
    def no_answer(self) -> bool:
        return self.value == NO_ANSWER

    @property
    def chosen(self) -> set[str]:
        return set(self.value or [])

    @property
    def ranked_options(self) -> list:
        """The item's options in the order of their current ranks, unranked ones last."""
        ranks = self.value or {}
        links = list(self.item.item_options.all())
        order = {link.option_id: i for i, link in enumerate(links)}
        return sorted(
            ({"option": link.option, "rank": ranks.get(link.option_id)} for link in links),
            key=lambda row: (row["rank"] is None, row["rank"] or 0, order[row["option"].pk]),
        )


class RoundAnswersForm(forms.Form):
    """Every item of a round as one form, so that a save is all or nothing.

    `submitting` turns on the check that every required item is answered;
    a draft may be partial. Any field named like an item that is not one of
    this round's is refused: that is a tampered or stale form.
    """

    def __init__(
        self,
        data=None,
        *,
        items: list[Item],
        answers: dict[int, Answer],
        neutral: int,
        submitting: bool = False,
    ):
        self.items = items
        self.neutral = neutral
        self.submitting = submitting
        super().__init__(data, initial={field_name(item): _initial(item, answers.get(item.pk)) for item in items})
        for item in items:
            self.fields[field_name(item)] = self._field_for(item)

    def _field_for(self, item: Item) -> forms.Field:
        option_choices = [(str(link.option_id), link.option.name) for link in item.item_options.all()]
        required = self.submitting and item.required
        if item.type == Item.Type.LIKERT:
            choices = [(str(v), str(v)) for v in range(item.scale_min, item.scale_max + 1)]
            return forms.ChoiceField(
                choices=choices + [(NO_ANSWER, _("No answer"))], required=required, widget=forms.RadioSelect
            )
        if item.type == Item.Type.CATEGORICAL:
            choices = [(str(value), label) for value, label in Item.CATEGORICAL_LABELS.items()]
            return forms.ChoiceField(choices=choices, required=required, widget=forms.RadioSelect)
        if item.type == Item.Type.TOP_K:
            return AtMostKField(
                k=item.max_choices, choices=option_choices, required=required, widget=forms.CheckboxSelectMultiple
            )
        if item.type == Item.Type.NOT_RECOMMENDED:
            # Marking nothing is an answer too: every option is acceptable.
            return forms.MultipleChoiceField(
                choices=option_choices, required=False, widget=forms.CheckboxSelectMultiple
            )
        if item.type == Item.Type.RANKING:
            return RankingField(option_ids=[link.option_id for link in item.item_options.all()], required=required)
        return forms.CharField(max_length=COMMENT_MAX_LENGTH, required=required, widget=forms.Textarea, strip=True)

    def clean(self):
        known = set()
        for name, field in self.fields.items():
            widget = field.widget
            known |= widget.subwidget_names(name) if isinstance(widget, RankingWidget) else {name}
        if any(key.startswith(FIELD_PREFIX) and key not in known for key in self.data):
            raise forms.ValidationError(
                _("The form named a question that is not part of this round. Reload the page and try again."),
                code="unknown_item",
            )
        return super().clean()

    def entries(self) -> list[Entry]:
        return [
            Entry(item=item, field=self[field_name(item)], value=self._current(item), neutral=self.neutral)
            for item in self.items
        ]

    def _current(self, item: Item):
        value = self[field_name(item)].value()
        if item.type == Item.Type.RANKING:
            # A re-shown form holds the typed text; keep the ranks that are numbers.
            typed = {option_id: _typed_rank(rank) for option_id, rank in (value or {}).items()}
            return {option_id: rank for option_id, rank in typed.items() if rank is not None}
        return value

    def answers(self) -> list[AnswerInput]:
        """The cleaned answers, leaving out items left empty."""
        result = []
        for item in self.items:
            value = self.cleaned_data.get(field_name(item))
            if value in (None, "", [], {}):
                continue
            if item.type in (Item.Type.LIKERT, Item.Type.CATEGORICAL):
                result.append(AnswerInput(item_id=item.pk, rating=None if value == NO_ANSWER else int(value)))
            elif item.type == Item.Type.RANKING:
                result.append(AnswerInput(item_id=item.pk, options=tuple(sorted(value.items(), key=lambda p: p[1]))))
            elif item.type == Item.Type.COMMENT:
                result.append(AnswerInput(item_id=item.pk, text=value))
            else:
                result.append(AnswerInput(item_id=item.pk, options=tuple((int(pk), None) for pk in value)))
        return result


def _typed_rank(raw) -> int | None:
    # Not str.isdigit() alone: "²" is a digit that int() refuses, and int()
    # refuses more than 4300 digits; either crashed the re-shown page.
    if not str(raw).isdecimal():
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def _initial(item: Item, answer: Answer | None):
    if answer is None:
        return None
    if item.type in (Item.Type.LIKERT, Item.Type.CATEGORICAL):
        return NO_ANSWER if answer.rating is None else str(answer.rating)
    if item.type == Item.Type.RANKING:
        return {chosen.option_id: chosen.rank for chosen in answer.chosen.all() if chosen.rank}
    if item.type == Item.Type.COMMENT:
        return answer.text
    return [str(chosen.option_id) for chosen in answer.chosen.all()]


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, refusing ids beyond 64 bits before they reach the database.

    Django guards `pk=` lookups against overflow but not the `pk__in` this
    field runs: SQLite (the default database) raises OverflowError, a 500
    instead of the field's "not a valid value". PostgreSQL finds no row.
    """

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple) else ():
            try:
                number = int(str(pk))
            except ValueError:
                continue  # Django's own check reports it
            if not -(2**63) <= number < 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing a username longer than any account's next to the field.

    Django gives the field its max_length only after it is built, so no
    validator checks it, and a longer username went on to django-axes, whose
    log of failed sign-ins holds 255 characters: on PostgreSQL, a 500.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class InvitationForm(forms.Form):
    """One address, or a pasted list (one per line, or separated by commas or semicolons)."""

    emails = forms.CharField(
        label=_("Email addresses"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One address, or a list pasted from a spreadsheet or an email."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.PANELIST)

    MAX_ADDRESSES = 500

    def clean_emails(self) -> list[str]:
        raw = self.cleaned_data["emails"]
        addresses = [a.strip() for a in re.split(r"[\s,;]+", raw) if a.strip()]
        problems = []
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                problems.append(address)
        if problems:
            raise forms.ValidationError(
                _("Not email addresses: %(list)s") % {"list": ", ".join(problems[:10])}
                + ("…" if len(problems) > 10 else "")
            )
        if len(addresses) > self.MAX_ADDRESSES:
            raise forms.ValidationError(_("At most %(n)s addresses at a time.") % {"n": self.MAX_ADDRESSES})
        return list(dict.fromkeys(a.lower() for a in addresses))


class DeadlineForm(forms.Form):
    """A deadline in the facilitator's time zone; blank means no deadline when opening."""

    deadline = forms.DateTimeField(
        label=_("Deadline"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )

    def __init__(self, *args, required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deadline"].required = required

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline is not None and deadline <= timezone.now():
            raise forms.ValidationError(_("Choose a moment in the future."))
        return deadline


class ReminderForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=150)
    message = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))


class NextRoundForm(forms.Form):
    """What round N+1 asks again of round N: the items to carry, their wording, merges and dropped variations."""

    ALL, NO_CONSENSUS, SELECTED = "all", "no_consensus", "selected"
    mode = forms.ChoiceField(
        label=_("Carry forward"),
        choices=[
            (ALL, _("Every item")),
            (NO_CONSENSUS, _("Only statements without consensus (with their vignettes' other items)")),
            (SELECTED, _("Only the items ticked below")),
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
        drafted = any((data.get(text_name) or "").strip() for _v, text_name, _o in self.draft_fields)
        if data.get("mode") == self.SELECTED and not data.get("carry") and len(merge) < 2 and not drafted:
            self.add_error("carry", _("Tick the items to carry forward."))
        return data

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


class StatementForm(forms.Form):
    vignette = forms.ModelChoiceField(label=_("Vignette"), queryset=None)
    code = forms.SlugField(label=_("Code"), max_length=100)
    text = forms.CharField(label=_("Statement"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    options = BoundedModelMultipleChoiceField(
        label=_("Options it names"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vignette"].queryset = study.vignettes.all()
        self.fields["options"].queryset = study.options.all()


class StudyFileForm(forms.Form):
    """A new study from an uploaded study file or from the Mayo template; checked whole, like import_study."""

    file = forms.FileField(label=_("Study file (YAML or JSON)"), required=False)
    template = forms.BooleanField(label=_("Start from the Mayo study template"), required=False)
    slug = forms.SlugField(
        label=_("Slug"), required=False, max_length=80, help_text=_("Leave blank to keep the file's slug.")
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=200)

    MAX_BYTES = 1_000_000

    def clean(self):
        data = super().clean()
        upload, template = data.get("file"), data.get("template")
        if bool(upload) == bool(template):
            raise forms.ValidationError(_("Upload a study file or start from the template, one of the two."))
        if upload is not None and upload.size > self.MAX_BYTES:
            self.add_error("file", _("The file is larger than 1 MB; a study file is a few kilobytes."))
        return data


class MatrixForm(forms.Form):
    """Vignettes x options in one item type, for a development round."""

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


class ShallowJSONField(forms.JSONField):
    """Django's, with JSON nested too deeply for Python's parser an invalid value, not a RecursionError (a 500)."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(_("The JSON is nested too deeply."), code="invalid") from None

    def bound_data(self, data, initial):
        # The page with the error shows the text again, and re-reads it here.
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return InvalidJSONInput(data)


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
        fields = ["title", "description", "scale_min", "scale_neutral", "scale_max", "consensus_rule",
                  "consensus_params", "not_recommended_threshold"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, scale_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if scale_locked:
            for name in ("scale_min", "scale_neutral", "scale_max"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed: the panel has already rated on this scale.")

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
        # A missing rule already carries its "required" error; there is nothing to preview.
        if "consensus_rule" in data:
            self.preview = describe(data["consensus_rule"], data["consensus_params"], scale)
        return data


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
