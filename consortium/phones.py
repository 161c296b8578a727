"""Phone numbers, parsed and written in E.164 by the `phonenumbers` package."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def to_e164(value: str, *, region: str | None = None) -> str:
    """`value` as an E.164 number (+18505550100). A number without a
    country code is read in `region` (default: the `SMS_DEFAULT_REGION`
    setting). Raises `ValidationError` when it is not a possible, valid
    number."""
    region = region or settings.SMS_DEFAULT_REGION
    try:
        number = phonenumbers.parse((value or "").strip(), region)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(f"“{value}” is not a phone number.") from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"“{value}” is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
