"""Quiet hours and the recipient's zone (SPEC §9).

No automated send starts inside ``QUIET_HOURS`` in the recipient's local time. The zone is, in
order: the member's ZIP; the one zone ``phonenumbers`` gives for the number, if only one;
``LINE_TIMEZONE``. Facilitators and coordinators use their own ``timezone``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_timezones

from app.config import QuietHours
from app.services import zips


def recipient_zone(phone: str, zip_code: str | None, fallback: ZoneInfo) -> ZoneInfo:
    if zip_code:
        place = zips.locate(zip_code)
        if place is not None:
            return ZoneInfo(place.timezone)
    zone = _only_zone_of_number(phone)
    return zone or fallback


def zone_named(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def _only_zone_of_number(phone: str) -> ZoneInfo | None:
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    zones = [z for z in number_timezones.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    if len(zones) != 1:
        return None
    try:
        return ZoneInfo(zones[0])
    except (ZoneInfoNotFoundError, ValueError):
        return None


def is_quiet(moment: datetime, zone: ZoneInfo, window: QuietHours) -> bool:
    return window.contains(moment.astimezone(zone).time().replace(second=0, microsecond=0))


def next_allowed(moment: datetime, zone: ZoneInfo, window: QuietHours) -> datetime:
    """``moment`` itself when it is outside quiet hours, else the end of the window, in the
    recipient's local time (DST-correct: the end is a wall-clock time on the right day)."""
    if not is_quiet(moment, zone, window):
        return moment
    local = moment.astimezone(zone)
    end_day = local.date()
    if window.start > window.end and local.time() >= window.start:
        end_day += timedelta(days=1)  # a window that wraps midnight ends tomorrow
    return wall_clock(end_day, window.end, zone)


def wall_clock(day: date, clock: time, zone: ZoneInfo) -> datetime:
    naive = datetime.combine(day, clock)
    aware = naive.replace(tzinfo=zone)
    # A wall-clock time skipped by a spring-forward lands on the first valid minute after it.
    if aware.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != naive:
        aware = (naive + timedelta(hours=1)).replace(tzinfo=zone)
    return aware.astimezone(ZoneInfo("UTC"))
