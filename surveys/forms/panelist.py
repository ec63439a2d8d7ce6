"""The voting form: every item of a round as one form, so that a save is all or nothing."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from surveys.ballot import COMMENT_MAX_LENGTH, AnswerInput
from surveys.forms.fields import TextAreaField
from surveys.models import Item

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
    def template(self) -> str:
        return f"surveys/panelist/items/{self.item.type}.html"

    @property
    def points(self) -> list[dict]:
        """The radio choices of a rated item; a Likert scale's ends and neutral point are named, with the side
        of the button their words sit under."""
        anchors = {}
        if self.item.type == Item.Type.LIKERT:
            words = _anchor_words()
            anchors = {
                self.item.scale_min: (words[0], "start"),
                self.neutral: (words[1], "mid"),
                self.item.scale_max: (words[2], "end"),
            }
        points = []
        for value, label in self.field.field.choices:
            if value == NO_ANSWER:
                continue
            anchor, side = anchors.get(int(value), (None, None))
            points.append({"value": value, "label": label, "anchor": anchor, "side": side, "checked": value == self.value})
        return points

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
            (
                {"option": link.option, "rank": ranks.get(link.option_id), "position": order[link.option_id]}
                for link in links
            ),
            key=lambda row: (row["rank"] is None, row["rank"] or 0, row["position"]),
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
        answers: dict[int, AnswerInput],
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
        return TextAreaField(max_length=COMMENT_MAX_LENGTH, required=required)

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
            if item.is_rated:
                result.append(AnswerInput(item_id=item.pk, rating=None if value == NO_ANSWER else int(value)))
            elif item.type == Item.Type.RANKING:
                result.append(AnswerInput(item_id=item.pk, options=tuple(sorted(value.items(), key=lambda p: p[1]))))
            elif item.type == Item.Type.COMMENT:
                result.append(AnswerInput(item_id=item.pk, text=value))
            else:
                result.append(AnswerInput(item_id=item.pk, options=tuple((int(pk), None) for pk in value)))
        return result


def _anchor_words() -> tuple[str, str, str]:
    # Plain gettext: a lazy string would be translated again at each use, and a ballot draws hundreds.
    return (gettext("complete disagreement"), gettext("neutral"), gettext("complete agreement"))


def _typed_rank(raw) -> int | None:
    # Not str.isdigit() alone: "²" is a digit that int() refuses, and int()
    # refuses more than 4300 digits; either crashed the re-shown page.
    if not str(raw).isdecimal():
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def _initial(item: Item, answer: AnswerInput | None):
    if answer is None:
        return None
    if item.is_rated:
        return NO_ANSWER if answer.rating is None else str(answer.rating)
    if item.type == Item.Type.RANKING:
        return {option_id: rank for option_id, rank in answer.options if rank}
    if item.type == Item.Type.COMMENT:
        return answer.text
    return [str(option_id) for option_id, _rank in answer.options]
