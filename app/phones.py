"""Every phone number that enters the system passes through here and leaves as E.164."""

from __future__ import annotations

import hashlib
import hmac

import phonenumbers
from phonenumbers import PhoneNumberType

# Numbers the line must never dial or text: N11 services (211, 311, 411, 511, 611, 711, 811,
# 911, 988 is a 3-digit short code too) and premium-rate numbers.
_FORBIDDEN_TYPES = {PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST}


# A line serves its region's own territories when they share its numbering plan: from a US line,
# Puerto Rico, the US Virgin Islands, Guam, the Northern Mariana Islands and American Samoa are
# +1 numbers dialled and billed as domestic ones. Canada and the Caribbean nations on +1 are
# other countries (international rates, and the classic toll-fraud destinations): not served.
_TERRITORIES = {
    "US": ("PR", "VI", "GU", "MP", "AS"),
    "AU": ("CX", "CC"),  # Christmas Island, Cocos (Keeling) Islands
    "FI": ("AX",),  # Åland
    "NO": ("SJ",),  # Svalbard and Jan Mayen
}


class InvalidNumber(ValueError):
    """The text is not a usable phone number; carries no copy of the text."""


def parse_number(text: str, region: str) -> str:
    """Parse any format phonenumbers understands and return E.164, or raise InvalidNumber."""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidNumber("not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber("not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def caller_number(text: str | None, region: str) -> str | None:
    """The caller's number from a webhook's ``From``, or None when it is withheld or unusable
    (Twilio sends ``anonymous``, ``+266696687``, ``client:…`` and similar for those)."""
    if not text:
        return None
    try:
        return parse_number(text, region)
    except InvalidNumber:
        return None


def served_regions(region: str) -> frozenset[str]:
    """The regions whose numbers a line in ``region`` calls and texts: its own and its
    territories on the same country calling code."""
    sharing = phonenumbers.region_codes_for_country_code(
        phonenumbers.country_code_for_region(region)
    )
    return frozenset([region, *(r for r in _TERRITORIES.get(region, ()) if r in sharing)])


def dialable(e164: str, region: str) -> bool:
    """True when the line may call or text this number: a valid number of ``region`` (or of a
    territory it serves) that is not an N11 service, premium-rate or shared-cost."""
    try:
        parsed = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return False
    if phonenumbers.region_code_for_number(parsed) not in served_regions(region):
        return False
    if not phonenumbers.is_valid_number(parsed):
        return False
    if len(str(parsed.national_number)) <= 3:
        return False  # N11 and other short codes
    return phonenumbers.number_type(parsed) not in _FORBIDDEN_TYPES


def mask(e164: str) -> str:
    """What facilitators and coordinators may see of a member's number."""
    return f"•••-•••-{e164[-4:]}"


def number_hash(e164: str, secret: str) -> str:
    """A keyed hash of a number, for the consent ledger and inbound records: stable for one
    deployment, useless to anyone without its SECRET_KEY."""
    return hmac.new(secret.encode(), e164.encode(), hashlib.sha256).hexdigest()
