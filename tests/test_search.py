"""Search (SPEC §11), table-driven over one small directory around San Francisco."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.models import GroupFormat
from app.services import schedules, search, zips
from tests import factories

LA = ZoneInfo("America/Los_Angeles")
# Tuesday November 24, 2026, 12:00 in San Francisco.
NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)

MISSION = zips.locate("94110")
OAKLAND = zips.locate("94601")
DENVER = zips.locate("80204")


def in_person(place, **fields):
    return {
        "format": GroupFormat.IN_PERSON,
        "zip": place.zip,
        "latitude": place.latitude,
        "longitude": place.longitude,
        **fields,
    }


def by_phone(**fields):
    values = {"format": GroupFormat.PHONE, "dial_in_number": "+18005550100", "zip": None}
    return {**values, "location_name": None, "address": None, **fields}


DIRECTORY = {
    # Tuesday 18:30 in the Mission: later today.
    "mission-evening": in_person(MISSION, schedule="FREQ=WEEKLY;BYDAY=TU"),
    # Tuesday 11:50 in the Mission: began ten minutes ago, a latecomer is still welcome.
    "mission-late": in_person(MISSION, schedule="FREQ=WEEKLY;BYDAY=TU", start_time=time(11, 50)),
    # Tuesday 11:40: began twenty minutes ago; its next meeting is next week.
    "mission-too-late": in_person(
        MISSION, schedule="FREQ=WEEKLY;BYDAY=TU", start_time=time(11, 40)
    ),
    "mission-spanish": in_person(MISSION, languages=["es"], schedule="FREQ=WEEKLY;BYDAY=TH"),
    "oakland-morning": in_person(OAKLAND, schedule="FREQ=WEEKLY;BYDAY=WE", start_time=time(10)),
    "denver-weekly": in_person(DENVER, timezone="America/Denver"),
    "mission-stale": in_person(MISSION, last_verified=date(2026, 5, 1)),
    "mission-inactive": in_person(MISSION, active=False),
    "phone-english": by_phone(schedule="FREQ=WEEKLY;BYDAY=WE"),
    "phone-spanish": by_phone(languages=["es"], schedule="FREQ=WEEKLY;BYDAY=FR"),
    "video-with-dial-in": by_phone(format=GroupFormat.VIDEO, schedule="FREQ=WEEKLY;BYDAY=SA"),
    "video-only": by_phone(
        format=GroupFormat.VIDEO, dial_in_number=None, schedule="FREQ=WEEKLY;BYDAY=SU"
    ),
}


@pytest.fixture
def directory(session):
    for slug, fields in DIRECTORY.items():
        group = factories.group(session, slug=slug, **fields)
        schedules.materialise(session, group, NOW - timedelta(days=1))
    session.commit()


def slugs(outcome):
    return [result.group.slug for result in outcome.results]


REMOTE_EN = ["phone-english", "video-with-dial-in", "phone-spanish"]

CASES = [
    # (what, zip, language, channel, slugs in order)
    (
        "groups near, English: language, then soonest start (one began 10 minutes ago)",
        "94110",
        "en",
        "voice",
        ["mission-late", "mission-evening", "mission-too-late", "mission-spanish", *REMOTE_EN],
    ),
    (
        "a Spanish caller hears Spanish groups first, in person and by phone",
        "94110",
        "es",
        "voice",
        [
            "mission-spanish",
            "mission-late",
            "mission-evening",
            "mission-too-late",
            "phone-spanish",
            "phone-english",
            "video-with-dial-in",
        ],
    ),
    (
        "fewer than 3 within 10 miles: the radius widens to 25",
        "94601",
        "en",
        "voice",
        [
            "mission-late",
            "mission-evening",
            "oakland-morning",
            "mission-too-late",
            "mission-spanish",
            *REMOTE_EN,
        ],
    ),
    (
        "nothing in person within 50 miles: only the groups that meet by phone",
        "59001",
        "en",
        "voice",
        REMOTE_EN,
    ),
    (
        "by text too, a Spanish speaker gets Spanish groups first, in person and by phone",
        "94110",
        "es",
        "sms",
        [
            "mission-spanish",
            "mission-late",
            "mission-evening",
            "mission-too-late",
            "phone-spanish",
            "phone-english",
            "video-with-dial-in",
            "video-only",
        ],
    ),
    (
        "by text, a video group without a dial-in is offered too",
        "59001",
        "en",
        "sms",
        ["phone-english", "video-with-dial-in", "video-only", "phone-spanish"],
    ),
]


@pytest.mark.parametrize(("what", "zip_code", "language", "channel", "expected"), CASES)
def test_search_order(session, directory, what, zip_code, language, channel, expected):
    outcome = search.find_groups(session, zip_code, language, NOW, channel)
    assert slugs(outcome) == expected, what


def test_a_zip_the_table_does_not_know_says_so(session, directory):
    outcome = search.find_groups(session, "00000", "en", NOW, "voice")
    assert not outcome.zip_known and outcome.results == []


def test_no_group_within_50_miles_is_reported_as_such(session, directory):
    outcome = search.find_groups(session, "59001", "en", NOW, "voice")
    assert outcome.zip_known and not outcome.in_person_found


def test_a_meeting_that_began_ten_minutes_ago_is_the_one_offered(session, directory):
    late = search.find_groups(session, "94110", "en", NOW, "voice").results[0]
    assert late.meeting.starts_at.astimezone(LA) == datetime(2026, 11, 24, 11, 50, tzinfo=LA)


def test_a_meeting_that_began_twenty_minutes_ago_gives_way_to_next_week(session, directory):
    results = search.find_groups(session, "94110", "en", NOW, "voice").results
    too_late = next(r for r in results if r.group.slug == "mission-too-late")
    assert too_late.meeting.starts_at.astimezone(LA).date() == date(2026, 12, 1)


def test_distance_is_in_miles_for_groups_in_person_and_none_by_phone(session, directory):
    results = search.find_groups(session, "94601", "en", NOW, "voice").results
    distances = {r.group.slug: r.distance_miles for r in results}
    assert distances["oakland-morning"] == 0.0
    assert 10 < distances["mission-evening"] < 12
    assert distances["phone-english"] is None


@pytest.mark.parametrize(
    ("now", "local_start"),
    [
        # The week the clocks go back (November 1): still 6:30 PM, now 02:30 UTC.
        (datetime(2026, 10, 30, 20, 0, tzinfo=UTC), datetime(2026, 11, 3, 18, 30, tzinfo=LA)),
        # The week they go forward (March 14): still 6:30 PM, now 01:30 UTC.
        (datetime(2027, 3, 12, 20, 0, tzinfo=UTC), datetime(2027, 3, 16, 18, 30, tzinfo=LA)),
    ],
)
def test_the_next_meeting_is_at_the_same_local_time_in_a_daylight_saving_week(
    session, now, local_start
):
    group = factories.group(session, **in_person(MISSION, last_verified=now.date()))
    schedules.materialise(session, group, now)
    result = search.find_groups(session, "94110", "en", now, "voice").results[0]
    assert result.meeting.starts_at == local_start
    assert result.meeting.starts_at.astimezone(LA).strftime("%H:%M") == "18:30"


def test_topics_are_offered_most_common_first(session, directory):
    results = search.find_groups(session, "94110", "en", NOW, "voice").results
    results[0].group.topics = ["grief", "anxiety"]
    results[1].group.topics = ["anxiety"]
    assert search.topics_in(results, limit=2) == ["general", "anxiety"]


def test_with_topic_keeps_only_groups_on_that_topic(session, directory):
    results = search.find_groups(session, "94110", "en", NOW, "voice").results
    results[1].group.topics = ["grief"]
    assert [r.group.slug for r in search.with_topic(results, "grief")] == ["mission-evening"]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("today", ["mission-late", "mission-evening"]),
        ("tomorrow", ["oakland-morning", "phone-english"]),
        ("weekend", ["video-with-dial-in"]),
    ],
)
def test_results_on_a_day_in_the_callers_zone(session, directory, day, expected):
    results = search.find_groups(session, "94601", "en", NOW, "voice").results
    on_day = search.on_day(results, day, NOW, LA)
    assert [r.group.slug for r in on_day] == expected


def test_next_meeting_of_a_group_skips_cancelled_ones(session, directory):
    results = search.find_groups(session, "94110", "en", NOW, "voice").results
    evening = next(r for r in results if r.group.slug == "mission-evening")
    evening.meeting.status = schedules.MeetingStatus.CANCELLED
    session.flush()
    following = search.next_meeting(session, evening.group, NOW)
    assert following.starts_at.astimezone(LA).date() == date(2026, 12, 1)
