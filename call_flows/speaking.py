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


# Directory addresses are written for the eye ("300 E Bartlett St, San Francisco, CA"); a voice
# reads "St" as "S T" or "Saint" and "CA" as "ca". The common ones are said in full. The words
# stay English in a Spanish call too: they are part of the street's name, as a sign shows it.
_STREET_WORDS = {
    "st": "Street",
    "ave": "Avenue",
    "av": "Avenue",
    "blvd": "Boulevard",
    "rd": "Road",
    "dr": "Drive",
    "ln": "Lane",
    "ct": "Court",
    "pl": "Place",
    "hwy": "Highway",
    "pkwy": "Parkway",
    "ste": "Suite",
    "apt": "Apartment",
    "fl": "Floor",
}
_DIRECTIONS = {
    "n": "North",
    "s": "South",
    "e": "East",
    "w": "West",
    "ne": "Northeast",
    "nw": "Northwest",
    "se": "Southeast",
    "sw": "Southwest",
}
_STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "D C",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "PR": "Puerto Rico",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "GU": "Guam",
    "VI": "U S Virgin Islands",
}


def address(written: str) -> str:
    """ "300 E Bartlett St, San Francisco, CA 94110" → "300 East Bartlett Street, San
    Francisco, California 9, 4, 1, 1, 0". "St" before a name is "Saint" ("St Luke's")."""
    parts = [part.strip() for part in written.split(",")]
    spoken = [_street_part(part) for part in parts[:-1]] + [_last_part(parts[-1], len(parts))]
    return ", ".join(spoken)


def _street_part(part: str) -> str:
    words = part.split()
    said = []
    for index, word in enumerate(words):
        bare = word.rstrip(".").lower()
        last = index == len(words) - 1
        after_number = index > 0 and words[index - 1][:1].isdigit()
        if bare == "st" and (index == 0 or after_number) and not last:
            said.append("Saint")  # "St Luke's Church", "12 St Marks Place"
        elif bare in _STREET_WORDS:
            said.append(_STREET_WORDS[bare])
        elif bare in _DIRECTIONS and after_number and not last:
            said.append(_DIRECTIONS[bare])  # "300 E Main": not "E Street Center"
        else:
            said.append(word)
    return " ".join(said)


def _last_part(part: str, count: int) -> str:
    """The last comma-separated part: "CA 94110", "CA", or a street when there is only one."""
    words = part.split()
    if count > 1 and words and words[0] in _STATES and all(w.isdigit() for w in words[1:]):
        state = _STATES[words[0]]
        return " ".join([state, *(digits(w) for w in words[1:])])
    return _street_part(part)
