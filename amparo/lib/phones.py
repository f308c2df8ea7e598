"""Phone numbers: E.164 everywhere, parsed with the ``phonenumbers`` library."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_REGION = "US"


def normalize_phone(text: str, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a number written any way; a translated ValidationError if impossible."""
    try:
        parsed = phonenumbers.parse(text or "", region)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("This is not a phone number."), code="invalid_phone") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError(
            _("This phone number has too few or too many digits."), code="invalid_phone"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A readable national or international form of an E.164 number."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, fmt)
