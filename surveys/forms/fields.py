"""Form fields shared by the app's forms, each guarding a case Django's own lets through as a 500."""

import json

from django import forms
from django.core.validators import MaxLengthValidator
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _


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


class ShallowJSONField(forms.JSONField):
    """Django's, with JSON that Python's parser gives up on an invalid value, not a 500.

    The parser raises RecursionError for JSON nested too deeply, and a plain
    ValueError for an integer of more than 4,300 digits; Django's field
    catches neither. JSON may also write half of a UTF-16 surrogate pair
    ("\\ud800"), which no page or database can encode.
    """

    def to_python(self, value):
        try:
            value = super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(_("The JSON is nested too deeply."), code="invalid") from None
        except ValueError:
            raise forms.ValidationError(_("The JSON holds a number too long to read."), code="invalid") from None
        surrogate = _surrogate_in(value)
        if surrogate:
            raise forms.ValidationError(
                _("The JSON holds %(escape)s, half of a UTF-16 surrogate pair, which is not a character."),
                code="invalid",
                params={"escape": surrogate},
            )
        return value

    def bound_data(self, data, initial):
        # The page with the error shows the text again, and re-reads it here;
        # a value it cannot show is shown as the text that was typed.
        try:
            value = super().bound_data(data, initial)
        except (RecursionError, ValueError):
            return InvalidJSONInput(data)
        return InvalidJSONInput(data) if _surrogate_in(value) else value


def _surrogate_in(value) -> str | None:
    """The first lone surrogate in a parsed JSON value, keys included, written as its escape."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        return f"\\u{ord(error.object[error.start]):04x}"
    return None


def browser_length(text: str) -> int:
    """The length of a text as a browser counts it against `maxlength`: in UTF-16 code units.

    A character beyond the Basic Multilingual Plane (most emoji) is two;
    line breaks must be "\n" already (TextAreaField makes them so).
    """
    return len(text.encode("utf-16-le")) // 2


class BrowserMaxLengthValidator(MaxLengthValidator):
    """Django's, counting as a browser counts against `maxlength`."""

    def clean(self, x: str) -> int:
        return browser_length(x)


class TextAreaField(forms.CharField):
    """A textarea's text, its line breaks "\n" and its limit counted as the browser counts it.

    A browser counts a line break as one character against `maxlength` but
    sends it as two ("\r\n"), so Django's own field found a comment of 2,000
    characters in the browser 2,156 long and refused it. Here line breaks
    are stored as one character and the limit is counted in UTF-16 code
    units, as the browser counts it: the browser's limit and the server's
    are the same, and the code points Python counts are never more.
    Every textarea with a limit uses this field.
    """

    widget = forms.Textarea

    def __init__(self, *, max_length: int | None = None, rows: int | None = None, **kwargs):
        # Not CharField's max_length: its validator counts code points.
        self.text_max_length = max_length
        if rows is not None:
            kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows}))
        super().__init__(**kwargs)
        if max_length is not None:
            self.validators.append(BrowserMaxLengthValidator(max_length))

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n").replace("\r", "\n")

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if self.text_max_length is not None and not widget.is_hidden:
            attrs["maxlength"] = str(self.text_max_length)
        return attrs
