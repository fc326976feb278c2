"""The console in a real browser (SPEC §13): Debian's Chromium driven by Playwright against a
served line (``phoneline serve`` with its worker and the Twilio API simulator), so a broadcast
really goes out. Screenshots land in ``test-artifacts/screenshots/`` (ignored by git).

Without Chromium these tests are skipped with a loud notice; with ``CI=true`` they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.db import make_database
from app.models import (
    CallbackRequest,
    CallbackStatus,
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    Group,
    Meeting,
    Member,
    OutboxItem,
    OutboxPurpose,
    Rsvp,
    RsvpStatus,
    StaffNoticeKind,
)
from app.services import members, staff
from tests.outbox_support import midday_zone, number
from tests.privacy_scan import scan_output
from tests.test_serve import serving

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
COORDINATOR, FACILITATOR, PASSWORD = "lee@example.org", "ana@example.org", "a long enough password"
GROUP = "hope-circle-mission"
NOTICE = "The Tuesday evening group meets in room 4 this week."


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        missing("Chromium is not installed (apt-get install chromium)")
    return str(found)


def missing(why: str) -> None:
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"browser tests cannot run on CI: {why}")
    pytest.skip(f"BROWSER TESTS SKIPPED: {why}")


def phoneline(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        input=stdin,
        text=True,
        check=True,
        timeout=120,
        capture_output=True,
    )


def seed(instance: Path) -> None:
    """Three members with RSVPs to the next two meetings of a demo group, who agreed to
    broadcasts and notices (toll-free numbers: their zone is LINE_TIMEZONE, midday now)."""
    database = make_database(f"sqlite:///{instance / 'phoneline.db'}")
    secret = (instance / "secret_key").read_text().strip()
    with database.session() as session:
        group = session.scalars(select(Group).where(Group.slug == GROUP)).one()
        upcoming = session.scalars(
            select(Meeting)
            .where(Meeting.group_id == group.id, Meeting.starts_at > datetime.now(UTC))
            .order_by(Meeting.starts_at)
            .limit(2)
        ).all()
        for n in range(3):
            member = Member(phone=number(900 + n), language="en")
            session.add(member)
            session.flush()
            for meeting in upcoming:
                session.add(
                    Rsvp(
                        member_id=member.id,
                        meeting_id=meeting.id,
                        status=RsvpStatus.CONFIRMED,
                        source="sms",
                    )
                )
            for purpose in (ConsentPurpose.BROADCASTS, ConsentPurpose.NOTICES):
                members.record_consent(
                    session, member.phone, purpose, True, ConsentSource.PAPER, secret
                )
        history(session, group, upcoming[0])
    database.dispose()


def history(session: Any, group: Group, meeting: Meeting) -> None:
    """Weeks of past activity for the dashboard's charts: RSVPs, answered callbacks, opt-outs,
    and one thing that needs a coordinator."""
    now = datetime.now(UTC)
    for n in range(14):
        member = Member(phone=number(800 + n), language="es" if n % 3 else "en")
        session.add(member)
        session.flush()
        created = now - timedelta(days=3 + 4 * n)
        session.add(
            Rsvp(
                member_id=member.id,
                meeting_id=meeting.id,
                created_at=created,
                status=RsvpStatus.CONFIRMED,
                source="voice",
            )
        )
        if n % 2:
            session.add(
                CallbackRequest(
                    code=f"{100000 + n}",
                    member_id=member.id,
                    group_id=group.id,
                    language=member.language,
                    source="voice",
                    status=CallbackStatus.DONE,
                    created_at=created,
                    called_at=created + timedelta(minutes=10 + 5 * n),
                    done_at=created + timedelta(hours=1),
                    expires_at=created + timedelta(days=7),
                )
            )
        if n % 4 == 0:
            session.add(
                ConsentEvent(
                    phone_hash=f"gone-{n}",
                    purpose=ConsentPurpose.BROADCASTS,
                    granted=False,
                    source=ConsentSource.SMS,
                    created_at=now - timedelta(days=9 * n),
                )
            )
    waiting = session.scalars(select(Member).where(Member.phone == number(801))).one()
    session.add(
        CallbackRequest(
            code="246810",
            member_id=waiting.id,
            group_id=group.id,
            language="es",
            source="crisis",
            urgent=True,
            created_at=now - timedelta(minutes=20),
            expires_at=now + timedelta(days=7),
        )
    )
    staff.note(session, StaffNoticeKind.LATE_NOTICE, "late:demo", group_id=group.id)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    executable = chromium()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("the playwright package is not installed")
    instance = tmp_path_factory.mktemp("console") / "instance"
    drop = ("PHONELINE_ENV", "DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "TWILIO_API_BASE_URL")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        PHONELINE_INSTANCE=str(instance),
        LINE_TIMEZONE=midday_zone(),
        SMS_MAX_PER_SECOND="0",
        CHROMIUM=executable,
    )
    phoneline(env, "init")
    phoneline(env, "demo")
    phoneline(env, "users", "add", COORDINATOR, "--role", "coordinator", stdin=PASSWORD + "\n")
    phoneline(
        env,
        "users",
        "add",
        FACILITATOR,
        "--role",
        "facilitator",
        "--facilitator",
        "ana",
        stdin=PASSWORD + "\n",
    )
    seed(instance)
    with serving(env, instance.parent / "serve.log") as (base, _):
        yield base, instance


@pytest.fixture(autouse=True)
def scanned_server_output(served: tuple[str, Path]) -> None:
    """The server outlives each test: its whole log so far is scanned after every one."""
    scan_output(served[1].parent / "serve.log")


@pytest.fixture(scope="module")
def browser(served: tuple[str, Path]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


def signed_in(browser: Any, base: str, email: str) -> Any:
    """A page signed in the way a keyboard user does it: type, Tab, type, Enter."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{base}/console/sign-in")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'email'")
    page.keyboard.type(email)  # the email field has focus on arrival
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return page


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_a_coordinator_signs_in_with_the_keyboard_and_sees_what_needs_them(browser, served):
    base, _ = served
    page = signed_in(browser, base, COORDINATOR)
    assert page.url.endswith("/console/")
    assert page.get_by_role("heading", name="Things that need you").is_visible()
    assert page.get_by_text("could not be told about a meeting change").is_visible()
    assert page.locator("svg.chart").count() == 6
    page.close()


def test_a_directory_file_with_an_error_is_shown_in_place(browser, served):
    base, _ = served
    page = signed_in(browser, base, COORDINATOR)
    page.goto(f"{base}/console/directory")
    bad = b"groups:\n  - slug: late-group\n    start_time: 18:30\n"
    page.get_by_label("Directory file (YAML)").set_input_files(
        {"name": "directory.yaml", "mimeType": "text/yaml", "buffer": bad}
    )
    page.get_by_role("button", name="Check and load").click()
    problems = page.locator("#directory-problems")
    problems.wait_for()
    assert "nothing was changed" in problems.inner_text()
    assert 'write it in quotes, "18:30"' in problems.inner_text()
    page.close()


def second_seeded_meeting(instance: Path) -> int:
    """The later of the two meetings the seeded members hold seats at: only theirs, three of
    them (the dashboard's history is booked on the first)."""
    database = make_database(f"sqlite:///{instance / 'phoneline.db'}", immediate=False)
    with database.session() as session:
        ids = session.scalars(
            select(Meeting.id)
            .join(Rsvp, Rsvp.meeting_id == Meeting.id)
            .join(Member, Member.id == Rsvp.member_id)
            .where(Member.phone == number(900))
            .order_by(Meeting.starts_at)
        ).all()
    database.dispose()
    return ids[1]


def test_cancelling_a_meeting_shows_the_notices_queued(browser, served):
    base, instance = served
    page = signed_in(browser, base, COORDINATOR)
    page.goto(f"{base}/console/groups")
    page.get_by_role("link", name="Hope Circle").click()
    # By its id, not its place in the list: a meeting that started after the seed chose the
    # next two is still listed (until it ends), and would push the seeded one down a row.
    button = page.locator(f"#cancel-{second_seeded_meeting(instance)}")
    assert button.inner_text() == "Cancel meeting"
    button.click()
    flash = page.locator(".flash.done")
    flash.wait_for()
    assert "3 notices queued" in flash.inner_text()
    database = make_database(f"sqlite:///{instance / 'phoneline.db'}", immediate=False)
    with database.session() as session:
        notices = session.scalars(
            select(OutboxItem).where(OutboxItem.purpose == OutboxPurpose.NOTICE)
        ).all()
    database.dispose()
    assert len(notices) == 3
    page.close()


def test_a_broadcast_is_composed_sent_and_followed_to_done(browser, served):
    from playwright.sync_api import expect

    base, _ = served
    page = signed_in(browser, base, COORDINATOR)
    page.goto(f"{base}/console/broadcasts/new")
    page.get_by_label("Audience", exact=True).select_option(
        label="Hope Circle (Tuesday evening group)"
    )
    text = page.get_by_label("Text in English")
    text.fill(NOTICE)
    page.locator("#preview-recipients").filter(has_text="3 recipients").wait_for()
    text.type(" We\u2019ll start on time.")
    page.locator("#preview-warnings").filter(has_text="double its cost").wait_for()
    text.fill(NOTICE)
    page.get_by_role("button", name="Send broadcast").click()
    page.locator("#progress-box[data-state=done]").wait_for(timeout=60_000)
    assert page.locator("#progress-text").inner_text() == "Done"
    # Twilio's delivery receipts come seconds after the sends (the simulator beside serve
    # keeps Twilio's pace): wait for them with the locator engine, which the console's CSP
    # allows (a string predicate is eval'd, and refused, as soon as it must poll).
    expect(page.locator('#report [data-k="delivered"]')).to_have_text("3", timeout=30_000)
    screenshot(page, "broadcast.png")
    page.close()


def test_a_coordinator_fixes_a_groups_notes_from_the_form_and_sees_them_on_its_page(
    browser, served
):
    base, _ = served
    page = signed_in(browser, base, COORDINATOR)
    page.goto(f"{base}/console/groups/{GROUP}")
    page.get_by_role("link", name="Edit this group").click()
    page.get_by_label("Notes for arriving (door, room)").fill("Side door, room 5")
    alias = page.get_by_label("Alias (sent in texts)")
    alias.fill("Grief night")
    page.get_by_role("button", name="Save changes").click()
    page.locator("#err-alias").wait_for()
    assert "may not name a topic (grief)" in page.locator("#err-alias").inner_text()
    assert page.get_by_label("Notes for arriving (door, room)").input_value() == "Side door, room 5"
    page.get_by_label("Alias (sent in texts)").fill("Tuesday evening group")
    page.get_by_role("button", name="Save changes").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Side door, room 5" in page.locator("#group-location").inner_text()
    assert "Saved: 1 fields changed" in page.locator(".flash.done").inner_text()
    page.close()


def test_a_facilitator_cannot_open_the_members_page(browser, served):
    base, _ = served
    page = signed_in(browser, base, FACILITATOR)
    assert page.url.endswith("/console/callbacks")
    answer = page.goto(f"{base}/console/members")
    assert answer is not None and answer.status == 403
    page.close()


def test_the_dashboard_after_a_day_of_work(browser, served):
    base, _ = served
    page = signed_in(browser, base, COORDINATOR)
    screenshot(page, "dashboard.png")
    with page.expect_navigation():
        page.get_by_role("button", name="Mark as handled").first.click()
    assert page.get_by_text("Nothing needs you right now.").is_visible()
    page.close()


UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML.slice(0, 80))"""


def test_every_page_labels_its_controls_and_fits_a_small_laptop_screen(browser, served):
    base, _ = served
    page = signed_in(browser, base, COORDINATOR)
    paths = ["/", "/groups", f"/groups/{GROUP}", "/directory", "/broadcasts", "/broadcasts/new"]
    paths += ["/callbacks", "/members", "/reports", "/audit", f"/groups/{GROUP}/edit"]
    paths += ["/facilitators"]
    for path in paths:
        page.goto(f"{base}/console{path}")
        assert page.evaluate(UNLABELLED) == [], path
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, (path, wide)
        screenshot(page, f"page{path.replace('/', '-') or '-dashboard'}.png")
    page.close()
