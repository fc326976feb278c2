"""The offline ZIP table (SPEC §11): ZIP → latitude, longitude and time zone, no network.

Backed by the ``zipcodes`` package, which ships the US table inside its wheel. Its first lookup
in a process loads the table (0.2 to 0.6 s of CPU, about 55 MiB); later ones take microseconds.
An app that serves webhooks loads it at start (``load_table``): a web worker pays, not a caller.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import zipcodes

_FIVE_DIGITS = re.compile(r"\d{5}")
EARTH_RADIUS_MILES = 3958.8


@dataclass(frozen=True)
class ZipPlace:
    zip: str
    latitude: float
    longitude: float
    timezone: str


def load_table() -> None:
    zipcodes.is_real("00000")


@lru_cache(maxsize=4096)
def locate(zip_code: str) -> ZipPlace | None:
    """The place of a 5-digit ZIP, or None when the table does not know it (or it has no
    coordinates, as some PO-box-only ZIPs have not)."""
    if not _FIVE_DIGITS.fullmatch(zip_code):
        return None
    for row in zipcodes.matching(zip_code):
        place = _place(row)
        if place is not None:
            return place
    return None


def _place(row: dict[str, object]) -> ZipPlace | None:
    try:
        latitude, longitude = float(str(row["lat"])), float(str(row["long"]))
    except (KeyError, ValueError):
        return None
    timezone = str(row.get("timezone") or "")
    if not timezone:
        return None
    return ZipPlace(str(row["zip_code"]), latitude, longitude, timezone)


def miles_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))
