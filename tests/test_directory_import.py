from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select, text

from app.cli import cli
from app.extensions import prompts
from app.models import Facilitator, Group, Meeting, MeetingStatus, OutboxItem, OutboxPurpose
from app.services import directory, meetings, rsvps
from tests import factories

DATA = Path(__file__).parent / "data"
BROKEN = DATA / "broken_directory.yaml"
NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
RULES = directory.Rules(languages=["en", "es"], region="US", today=date(2026, 11, 24))

GROUP = {
    "slug": "hope-circle",
    "name": "Hope Circle",
    "alias": "Tuesday evening group",
    "topics": "[anxiety, depression]",
    "languages": "[en, es]",
    "format": "in_person",
    "location": '{name: Mission Library, address: "300 Bartlett St", zip: "94110"}',
    "timezone": "America/Los_Angeles",
    "starts_on": "2026-09-01",
    "schedule": '"FREQ=WEEKLY;BYDAY=TU"',
    "start_time": '"18:30"',
    "duration_minutes": "90",
    "facilitators": "[ana]",
    "last_verified": "2026-11-01",
}
HEADER = """\
facilitators:
  - id: ana
    name: Ana R.
    phone: "(415) 555-0123"
    languages: [en, es]
    on_call: true
groups:
"""


def file_text(*groups: dict[str, str | None]) -> str:
    body = []
    for changes in groups:
        fields = {k: v for k, v in {**GROUP, **changes}.items() if v is not None}
        lines = [f"{k}: {v}" for k, v in fields.items()]
        body += ["  - " + lines[0], *("    " + line for line in lines[1:])]
    return HEADER + "\n".join(body) + "\n"


def problems(*groups: dict[str, str | None]) -> list[str]:
    return [str(p) for p in directory.parse(file_text(*groups), RULES).problems]


def run(app, *args: str):
    with time_machine.travel(NOW, tick=False):
        return app.test_cli_runner().invoke(cli, list(args))


def write(tmp_path: Path, content: str) -> str:
    path = tmp_path / "directory.yaml"
    path.write_text(content, encoding="utf-8")
    return str(path)


def snapshot(session) -> dict[str, list[tuple]]:
    """Every row of every table an import writes to."""
    tables = ["coordinators", "facilitators", "groups", "group_facilitators", "meetings", "outbox"]
    rows = {
        t: [tuple(r) for r in session.execute(text(f"SELECT * FROM {t} ORDER BY 1, 2"))]
        for t in tables
    }
    session.rollback()  # SQLite: release the write lock for the command under test
    return rows


# ----------------------------------------------------------------------------- checking


def test_a_correct_file_has_no_problems():
    assert problems({}) == []


def test_an_unquoted_start_time_is_reported_with_its_place_line_and_the_fix():
    assert problems({"start_time": "18:30"}) == [
        'groups[0].start_time (line 18): write it in quotes, "18:30"'
    ]


def test_an_unquoted_zip_is_shown_as_written_with_its_leading_zero():
    location = '{name: Fair Haven Library, address: "182 Grand Ave", zip: 06511}'
    assert problems({"location": location}) == [
        'groups[0].location.zip (line 14): write it in quotes, "06511"'
    ]


def test_yaml_1_2_yes_is_not_a_boolean():
    text_ = file_text({}).replace("on_call: true", "on_call: yes")
    found = [str(p) for p in directory.parse(text_, RULES).problems]
    assert found == ["facilitators[0].on_call (line 6): write true or false"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"topics": "[anxiety, loneliness]"},
            "groups[0].topics[1] (line 11): unknown 'loneliness'",
        ),
        ({"audience": "[pets]"}, "groups[0].audience[0] (line 22): unknown 'pets'"),
        ({"format": "radio"}, "groups[0].format (line 13): choose one of"),
        (
            {"alias": "Tuesday grief group"},
            "groups[0].alias (line 10): may not name a topic (grief)",
        ),
        ({"name": "Círculo"}, 'groups[0].name (line 9): "í" is not a GSM-7 character; write "i"'),
        ({"name": "A" * 33}, "groups[0].name (line 9): at most 32 characters (this has 33)"),
        ({"timezone": "Pacific Time"}, "groups[0].timezone (line 15): write an IANA time zone"),
        ({"facilitators": "[bob]"}, "groups[0].facilitators[0] (line 20): unknown 'bob'"),
        ({"location": None}, "groups[0].location (line 8): is required"),
        ({"format": "phone", "location": None}, "groups[0].dial_in (line 8): is required"),
        ({"colour": "blue"}, "groups[0].colour (line 22): unknown field"),
        ({"last_verified": "2027-01-01"}, "groups[0].last_verified (line 21): is in the future"),
    ],
)
def test_each_mistake_is_named_with_its_place_and_line(changes, expected):
    found = problems(changes)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_a_dial_in_number_that_is_not_quoted_is_refused_without_repeating_it():
    dial_in = '{number: +18005550100, code: "123456"}'
    found = problems({"format": "phone", "location": None, "dial_in": dial_in})
    assert found == ['groups[0].dial_in.number (line 21): write it in quotes, "+14155550123"']


def test_a_slug_twice_is_an_error_at_the_second():
    assert problems({}, {}) == ["groups[1].slug (line 22): 'hope-circle' appears twice"]


def test_invalid_yaml_is_reported_with_its_line():
    found = [str(p) for p in directory.parse("groups:\n  - slug: [a\n", RULES).problems]
    assert len(found) == 1 and found[0].startswith("file (line 3): not valid YAML")


def alias_bomb(levels: int) -> str:
    """Nested aliases: each level repeats the one before nine times (9**levels nodes)."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [" + ",".join([f"*l{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(10)
def test_nested_aliases_are_refused_at_once_not_expanded():
    bomb = alias_bomb(10)
    assert len(bomb) < 600
    found = [str(p) for p in directory.parse(bomb, RULES).problems]
    assert found == [f"file (line 1): {directory.ANCHORS_REFUSED}"]


def test_an_anchor_in_a_group_is_refused_with_its_line():
    text_ = file_text({}).replace("languages: [en, es]", "languages: &langs [en, es]", 1)
    found = [str(p) for p in directory.parse(text_, RULES).problems]
    assert len(found) == 1 and directory.ANCHORS_REFUSED in found[0]


def test_the_three_mistakes_of_the_broken_file_are_all_reported():
    found = [str(p) for p in directory.parse(BROKEN.read_text(), RULES).problems]
    assert found == [
        'groups[0].location.zip (line 19): write it in quotes, "06511"',
        "groups[1].topics[1] (line 30): unknown 'loneliness'; choose from anxiety, depression, "
        "grief, caregivers, trauma, bipolar, recovery, youth, seniors, lgbtq, veterans, general",
        "groups[1].schedule (line 39): not a usable RRULE: BYHOUR is not allowed here "
        "(the time comes from start_time)",
    ]


# ----------------------------------------------------------------------------- importing


def test_importing_creates_the_group_its_facilitator_and_its_meetings(app, session, tmp_path):
    result = run(app, "import", write(tmp_path, file_text({})))
    assert result.exit_code == 0, result.output
    group = session.scalar(select(Group).where(Group.slug == "hope-circle"))
    assert [f.phone for f in group.facilitators] == ["+14155550123"]
    assert (group.zip, round(group.latitude, 2)) == ("94110", 37.75)
    assert len(group.meetings) == 18


def test_a_broken_file_changes_nothing_and_exits_1(app, session):
    assert run(app, "demo").exit_code == 0
    before = snapshot(session)
    result = run(app, "import", str(BROKEN))
    assert result.exit_code == 1
    assert "3 errors; nothing was changed" in result.output
    assert snapshot(session) == before


def test_dry_run_on_the_demo_exits_0_and_writes_nothing(app, session):
    result = run(app, "import", "--dry-run", "app/data/demo_directory.yaml")
    assert result.exit_code == 0, result.output
    assert "groups: 17 would be created" in result.output
    assert session.scalar(select(Group.id)) is None


def test_dry_run_on_the_broken_file_exits_1(app):
    assert run(app, "import", "--dry-run", str(BROKEN)).exit_code == 1


def test_a_missing_file_is_a_usage_error(app):
    assert run(app, "import", "no-such-file.yaml").exit_code == 2


def test_a_group_missing_from_the_file_is_kept_without_prune(app, session, tmp_path):
    run(app, "import", write(tmp_path, file_text({}, {"slug": "second-circle"})))
    run(app, "import", write(tmp_path, file_text({})))
    kept = session.scalar(select(Group).where(Group.slug == "second-circle"))
    assert kept.active


def test_prune_makes_a_missing_group_inactive_and_cancels_its_meetings_with_notices(
    app, session, tmp_path
):
    run(app, "import", write(tmp_path, file_text({}, {"slug": "second-circle"})))
    gone = session.scalar(select(Group).where(Group.slug == "second-circle"))
    rsvps.create(session, factories.member(session), gone.meetings[0].id, "sms", now=NOW)
    session.commit()
    result = run(app, "import", "--prune", write(tmp_path, file_text({})))
    assert "groups: 0 created, 1 updated, 1 made inactive" in result.output
    session.expire_all()
    assert not gone.active
    assert {m.status for m in gone.meetings} == {MeetingStatus.CANCELLED}
    assert len(session.scalars(select(OutboxItem)).all()) == 1


def test_a_schedule_change_that_drops_a_meeting_with_rsvps_cancels_it_with_a_notice(session):
    wording = meetings.Wording(prompts(), "Community Support Line")
    parsed = directory.parse(file_text({}), RULES)
    directory.apply(session, parsed.directory, wording, NOW)
    first = session.scalars(select(Meeting).order_by(Meeting.starts_at)).first()
    rsvps.create(session, factories.member(session), first.id, "sms", now=NOW)
    moved_day = directory.parse(file_text({"schedule": '"FREQ=WEEKLY;BYDAY=WE"'}), RULES)
    report = directory.apply(session, moved_day.directory, wording, NOW)
    assert first.status is MeetingStatus.CANCELLED and report.notices == 1
    assert session.scalar(select(OutboxItem.purpose)) is OutboxPurpose.NOTICE


def test_a_cancelled_meeting_stays_cancelled_after_a_re_import(app, session, tmp_path):
    path = write(tmp_path, file_text({}))
    run(app, "import", path)
    assert run(app, "meeting", "cancel", "hope-circle@2026-12-01").exit_code == 0
    run(app, "import", path)
    session.expire_all()
    meeting = meetings.find(session, "hope-circle@2026-12-01")
    assert meeting.status is MeetingStatus.CANCELLED


# ----------------------------------------------------------------------------- the demo


def test_the_demo_covers_zones_languages_formats_topics_and_schedules(app, session):
    assert run(app, "demo").exit_code == 0
    groups = session.scalars(select(Group)).all()
    assert len(groups) >= 15
    assert len({g.timezone for g in groups}) >= 4
    assert {"en", "es"} <= {lang for g in groups for lang in g.languages}
    assert set(directory.TOPICS) == {t for g in groups for t in g.topics}
    assert any(g.format.value == "video" and g.dial_in_number for g in groups)
    assert any("INTERVAL=2" in g.schedule for g in groups)
    assert any("BYDAY=2WE,4WE" in g.schedule for g in groups)


def test_the_demo_is_verified_today_and_uses_only_fictional_numbers(app, session):
    run(app, "demo")
    groups = session.scalars(select(Group)).all()
    assert {g.last_verified for g in groups} == {NOW.date()}
    people = session.scalars(select(Facilitator)).all()
    numbers = [p.phone for p in people] + [g.dial_in_number for g in groups if g.dial_in_number]
    assert all(n[5:9] == "5550" and n[9] == "1" for n in numbers)


def test_the_demo_has_facilitators_on_call_in_each_language(app, session):
    run(app, "demo")
    on_call = session.scalars(select(Facilitator).where(Facilitator.on_call)).all()
    assert {"en", "es"} <= {lang for f in on_call for lang in f.languages}


def test_loading_the_demo_twice_changes_nothing_the_second_time(app, session):
    run(app, "demo")
    before = snapshot(session)
    result = run(app, "demo")
    assert "meetings: 0 added" in result.output
    assert snapshot(session) == before


def test_a_new_start_time_tells_members_with_rsvps_the_new_time(session):
    wording = meetings.Wording(prompts(), "Community Support Line")
    directory.apply(session, directory.parse(file_text({}), RULES).directory, wording, NOW)
    first = session.scalars(select(Meeting).order_by(Meeting.starts_at)).first()
    rsvps.create(session, factories.member(session), first.id, "sms", now=NOW)
    later = directory.parse(file_text({"start_time": '"19:00"'}), RULES).directory
    report = directory.apply(session, later, wording, NOW)
    notice = session.scalar(select(OutboxItem))
    assert report.notices == 1
    assert notice.params["when"] == "Tue Nov 24, 7:00 PM"  # a text: the short date form


def test_a_facilitator_number_already_held_by_another_stored_facilitator_is_refused():
    rules = directory.Rules(
        languages=["en", "es"],
        region="US",
        today=date(2026, 11, 24),
        facilitator_phones={"+14155550123": "someone-else"},
    )
    found = [str(p) for p in directory.parse(file_text({}), rules).problems]
    assert found == ["facilitators[0].phone (line 4): another facilitator has this number"]
