"""A time of day stored as minutes after midnight, so that closing at midnight
("24:00") is representable and posted hours compare as plain integers."""

import re

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models

_HHMM = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*$")


def format_minutes(value: int | None) -> str:
    if value is None:
        return ""
    return f"{value // 60:02d}:{value % 60:02d}"


def parse_minutes(text: str) -> int:
    match = _HHMM.match(text or "")
    if not match:
        raise ValidationError(
            "Enter a time as HH:MM on the 24-hour clock, for example 09:00 or 17:30.",
            code="invalid",
        )
    hours, minutes = int(match[1]), int(match[2] or 0)
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValidationError(
            "Enter a time between 00:00 and 24:00 (24:00 means midnight at the end of the day).",
            code="invalid",
        )
    return hours * 60 + minutes


class DayTimeInput(forms.TextInput):
    def __init__(self, attrs=None):
        super().__init__({"placeholder": "HH:MM", "size": 6, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, int):
            return format_minutes(value)
        return super().format_value(value)


class DayTimeFormField(forms.Field):
    widget = DayTimeInput

    def __init__(self, *, min_value=None, max_value=None, **kwargs):
        # The model field's integer bounds are enforced by parse_minutes.
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in validators.EMPTY_VALUES:
            return None
        if isinstance(value, int):
            return value
        return parse_minutes(str(value))


class DayTimeField(models.PositiveSmallIntegerField):
    """Minutes after midnight, 0 to 1440; shown and entered as HH:MM."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [validators.MaxValueValidator(24 * 60)])
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        # Always the HH:MM text input: the admin would otherwise substitute its
        # number widget for this integer field.
        kwargs["widget"] = DayTimeInput
        return super().formfield(**{**kwargs, "form_class": DayTimeFormField})
