"""Dates, times and numbers as a person says them: "Tuesday, November 24, at 6:30 PM", and ZIPs
and phone numbers digit by digit ("9, 4, 1, 1, 0"), so a text-to-speech voice never reads
94110 as "ninety-four thousand"."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import phonenumbers

from app.prompts import Catalog


def digits(text: str) -> str:
    return ", ".join(ch for ch in text if ch.isdigit())


def phone(e164: str) -> str:
    """A North American number as 3, 3 and 4 digits with pauses; others digit by digit."""
    national = e164[2:] if e164.startswith("+1") and len(e164) == 12 else e164.lstrip("+")
    if len(national) == 10:
        return f"{digits(national[:3])}. {digits(national[3:6])}. {digits(national[6:])}"
    return digits(national)


def national(e164: str) -> str:
    """ "(415) 555-0999" for a text message."""
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


# The part of the day said after the hour, by the hour it starts at. English needs only AM and
# PM; Spanish says "de la madrugada" before 6, "del mediodía" for 12, and "de la noche" from 7
# in the evening (a group at 7 or 8 meets after dark most of the year: "de la tarde" there
# sounds like a mistake, review item 16).
_PARTS_OF_DAY = ((0, "voice.early"), (6, "voice.am"), (12, "voice.midday"), (13, "voice.pm"))
_EVENING = (19, "voice.night")


def clock(moment: datetime, catalog: Catalog, language: str) -> str:
    if moment.hour == 12 and moment.minute == 0:
        return catalog.render(language, "voice.noon")  # "at noon": "12 PM" is often misheard
    hour = moment.hour % 12 or 12
    part = [key for start, key in (*_PARTS_OF_DAY, _EVENING) if moment.hour >= start][-1]
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes} {catalog.render(language, part)}"


def when(moment: datetime, zone: ZoneInfo, catalog: Catalog, language: str) -> str:
    local = moment.astimezone(zone)
    # Spanish says "a la 1" but "a las 2": one o'clock has its own template.
    key = "voice.when_one" if local.hour % 12 == 1 else "voice.when"
    return catalog.render(
        language,
        key,
        weekday=_nth(catalog, language, "voice.weekdays", local.weekday()),
        month=_nth(catalog, language, "voice.months", local.month - 1),
        day=local.day,
        time=clock(local, catalog, language),
    )


def weekday(moment: datetime, zone: ZoneInfo, catalog: Catalog, language: str) -> str:
    return _nth(catalog, language, "voice.weekdays", moment.astimezone(zone).weekday())


def listing(
    items: list[str], catalog: Catalog, language: str, joiner_key: str = "voice.and"
) -> str:
    """ "anxiety and grief", "ansiedad y duelo" """
    if len(items) <= 1:
        return "".join(items)
    joiner = catalog.render(language, joiner_key)
    return f"{', '.join(items[:-1])} {joiner} {items[-1]}"


def _nth(catalog: Catalog, language: str, key: str, index: int) -> str:
    return [part.strip() for part in catalog.template(language, key).split(",")][index]
