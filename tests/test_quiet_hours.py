from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.config import QuietHours
from app.services.quiet_hours import next_allowed, recipient_zone

WINDOW = QuietHours(time(20, 0), time(9, 0))
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def local(zone, *parts):
    return datetime(*parts, tzinfo=zone)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (local(LOS_ANGELES, 2026, 11, 25, 22, 0), local(LOS_ANGELES, 2026, 11, 26, 9, 0)),
        (local(LOS_ANGELES, 2026, 11, 26, 6, 0), local(LOS_ANGELES, 2026, 11, 26, 9, 0)),
        (local(LOS_ANGELES, 2026, 11, 26, 9, 0), local(LOS_ANGELES, 2026, 11, 26, 9, 0)),
        (local(LOS_ANGELES, 2026, 11, 26, 19, 59), local(LOS_ANGELES, 2026, 11, 26, 19, 59)),
        (local(LOS_ANGELES, 2026, 11, 26, 20, 0), local(LOS_ANGELES, 2026, 11, 27, 9, 0)),
    ],
)
def test_a_send_due_in_quiet_hours_moves_to_the_end_of_the_window(due, expected):
    assert next_allowed(due, LOS_ANGELES, WINDOW) == expected


def test_the_end_of_the_window_is_local_time_across_a_dst_change():
    # 2026-11-01: clocks fall back in New York; 09:00 local is 14:00 UTC, not 13:00.
    due = local(NEW_YORK, 2026, 10, 31, 23, 30)
    assert next_allowed(due, NEW_YORK, WINDOW) == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)


def test_the_zone_comes_from_the_members_zip_first():
    assert recipient_zone("+12125550100", "94110", NEW_YORK) == LOS_ANGELES


def test_without_a_zip_the_numbers_only_zone_is_used():
    assert recipient_zone("+12125550100", None, LOS_ANGELES) == NEW_YORK


def test_a_number_spanning_zones_falls_back_to_the_line_zone():
    # Toll-free numbers have no single zone.
    assert recipient_zone("+18005550100", None, LOS_ANGELES) == LOS_ANGELES
