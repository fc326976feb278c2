"""The coordinator console (SPEC §13): sign-in, roles on every route, CSRF, and what each page
does to the database. Members' numbers never appear on a page or in an export."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select
from werkzeug.routing import Rule

from app.cli import cli
from app.db import utcnow
from app.extensions import phoneline
from app.models import (
    AuditEntry,
    Broadcast,
    CallbackRequest,
    CallbackStatus,
    ConsentPurpose,
    ConsentSource,
    Facilitator,
    GroupFacilitator,
    Meeting,
    MeetingStatus,
    Member,
    OutboxItem,
    OutboxPurpose,
    OutboxStatus,
    Rsvp,
    RsvpStatus,
    StaffNoticeKind,
    User,
)
from app.services import members, recordings, reminders, staff, stats
from app.services.reminders import ReminderTimes
from tests import factories
from tests.conftest import fresh
from tests.console_support import (
    COORDINATOR,
    FACILITATOR,
    PASSWORD,
    coordinator_and_facilitator,
    post,
    sign_in,
    token,
)
from tests.facilitator_scan import leaks_in
from tests.outbox_support import SECRET, grant

MEMBER_NUMBER = "+14155550123"


@pytest.fixture
def people(session):
    return coordinator_and_facilitator(session)


@pytest.fixture
def coordinator(client, people):
    assert sign_in(client, COORDINATOR).status_code == 302
    return client


@pytest.fixture
def facilitator(client, people):
    assert sign_in(client, FACILITATOR).status_code == 302
    return client


@pytest.fixture
def facilitator_client(app, people):
    """A second browser, signed in as the facilitator, beside a coordinator's."""
    other = app.test_client()
    assert sign_in(other, FACILITATOR).status_code == 302
    return other


@pytest.fixture
def seeded(session, people):
    """A group with a meeting, a member with an RSVP and a callback request, a notice."""
    group = factories.group(session, slug="tuesday", name="Hope Circle", alias="Tuesday group")
    session.add(GroupFacilitator(group_id=group.id, facilitator_id=people.id))
    meeting = factories.meeting(session, group, starts_in=timedelta(days=2))
    member = factories.member(session, phone=MEMBER_NUMBER, language="en")
    session.add(
        Rsvp(member_id=member.id, meeting_id=meeting.id, status=RsvpStatus.CONFIRMED, source="sms")
    )
    grant(session, member.phone, ConsentPurpose.BROADCASTS)
    request = CallbackRequest(
        code="123456",
        member_id=member.id,
        group_id=group.id,
        language="en",
        source="sms",
        note="please call after five",
        expires_at=datetime.now(UTC) + timedelta(days=7),
    )
    session.add(request)
    staff.note(session, StaffNoticeKind.INVALID_NUMBER, "invalid:1", member_id=member.id)
    session.commit()
    return {"group": group, "meeting": meeting, "member": member, "request": request}


def test_signing_in_opens_the_dashboard(coordinator):
    page = coordinator.get("/console/")
    assert page.status_code == 200 and "Things that need you" in page.get_data(as_text=True)


def test_a_wrong_password_is_refused(client, people):
    answer = sign_in(client, COORDINATOR, "not the password")
    assert answer.status_code == 401
    assert client.get("/console/").status_code == 302


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(client, people):
    unknown = sign_in(client, "nobody@example.org").get_data(as_text=True)
    wrong = sign_in(client, COORDINATOR, "not the password").get_data(as_text=True)
    assert "do not match an account" in unknown and "do not match an account" in wrong


def test_after_five_failures_even_the_right_password_waits(client, people):
    for _ in range(5):
        sign_in(client, COORDINATOR, "not the password")
    answer = sign_in(client, COORDINATOR)
    assert answer.status_code == 429 and "Too many attempts" in answer.get_data(as_text=True)


def test_one_address_trying_many_accounts_is_stopped(client, people):
    for n in range(20):
        sign_in(client, f"guess{n}@example.org", "not the password")
    assert sign_in(client, COORDINATOR).status_code == 429


def test_signing_out_ends_the_session(coordinator):
    assert post(coordinator, "/console/sign-out").status_code == 302
    assert coordinator.get("/console/").status_code == 302


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(
    coordinator, session, seeded
):
    meeting = seeded["meeting"]
    answer = coordinator.post(f"/console/meetings/{meeting.id}/cancel")
    assert answer.status_code == 400
    forged = coordinator.post(f"/console/meetings/{meeting.id}/cancel", data={"csrf_token": "x"})
    assert forged.status_code == 400
    assert fresh(session).get(Meeting, meeting.id).status is MeetingStatus.SCHEDULED


def test_sign_in_itself_needs_the_csrf_token(client, people):
    form = {"email": COORDINATOR, "password": PASSWORD}
    assert client.post("/console/sign-in", data=form).status_code == 400


def test_the_session_cookie_is_httponly_and_lax_and_secure_off_only_on_localhost(client, people):
    cookie = sign_in(client, COORDINATOR).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_session_cookie_is_secure_on_an_https_origin(settings, people):
    from app import create_app

    app = create_app({**settings, "PUBLIC_BASE_URL": "https://line.example.org"})
    client = app.test_client()
    cookie = sign_in(client, COORDINATOR).headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


# --- every route declares who may open it -----------------------------------------------------

PUBLIC_ENDPOINTS = {"console.sign_in", "console.static"}
FACILITATOR_ENDPOINTS = {
    "console.callbacks",
    "console.claim_callback",
    "console.callback_recording",
    "console.callback_recording_audio",
    "console.sign_out",
}


def console_rules(app) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")]


def url_of(rule: Rule, values: dict[str, object] | None = None) -> str:
    values = values or {name: ("2026-11" if name == "month" else 1) for name in rule.arguments}
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


def request(client, rule: Rule):
    if "GET" in rule.methods:
        return client.get(url_of(rule))
    return post(client, url_of(rule))


# Every route outside the console and how it keeps strangers out; a new one fails below.
GUARDED_ELSEWHERE = {
    "/twilio/": "Twilio's signature (tests/test_webhook_security.py)",
    "/recordings/": "a short-lived signature in its URL",
    "/healthz": "public: says only whether the app is up",
    "/readyz": "public: says only whether the app is up",
    "/static/": "public files",
}


def test_every_route_of_the_app_is_a_console_page_or_guarded_elsewhere(app, client):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/console"):
            continue
        assert rule.rule.startswith(tuple(GUARDED_ELSEWHERE)), rule.rule
    assert client.get("/recordings/1.wav").status_code == 404


def test_every_console_route_sends_a_stranger_to_sign_in(app, client):
    for rule in console_rules(app):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        answer = request(client, rule)
        assert answer.status_code == 302, rule.rule
        assert "/console/sign-in" in answer.headers["Location"], rule.rule


def test_a_facilitator_may_open_only_the_callback_queue(app, facilitator):
    for rule in console_rules(app):
        if rule.endpoint in PUBLIC_ENDPOINTS | {"console.sign_out"}:
            continue
        status = request(facilitator, rule).status_code
        if rule.endpoint in FACILITATOR_ENDPOINTS:
            assert status != 403, rule.rule
        else:
            assert status == 403, rule.rule


def test_a_facilitator_cannot_open_the_members_page(facilitator, seeded):
    assert facilitator.get("/console/members").status_code == 403


def test_a_view_that_declares_no_roles_is_refused(app, client, people):
    @app.route("/console/undeclared", endpoint="console.undeclared")
    def undeclared():
        return "open"

    sign_in(client, COORDINATOR)
    assert client.get("/console/undeclared").status_code == 403


# --- no member number on any page --------------------------------------------------------------


def test_no_page_or_export_shows_a_member_number(app, coordinator, seeded):
    values = {
        "slug": "tuesday",
        "meeting_id": seeded["meeting"].id,
        "month": "2026-11",
        "request_id": seeded["request"].id,
        "broadcast_id": 1,
    }
    pages = [
        url_of(rule, values)
        for rule in console_rules(app)
        if "GET" in rule.methods and rule.endpoint != "console.static"
    ]
    for path in pages:
        page = coordinator.get(path).get_data(as_text=True)
        assert leaks_in(page, [MEMBER_NUMBER]) == [], path
        assert "please call after five" not in page
    searched = coordinator.get("/console/members", query_string={"q": MEMBER_NUMBER})
    assert "•••-•••-0123" in searched.get_data(as_text=True)
    assert MEMBER_NUMBER not in searched.get_data(as_text=True)
    assert len(pages) >= 10


# --- what the pages do --------------------------------------------------------------------------


def test_resolving_a_notice_takes_it_off_the_dashboard(coordinator, session, seeded):
    notice = staff.open_notices(session)[0]
    post(coordinator, f"/console/notices/{notice.id}/resolve")
    assert staff.open_notices(fresh(session)) == []


def test_cancelling_a_meeting_queues_a_notice_per_rsvp_and_is_audited(coordinator, session, seeded):
    answer = post(coordinator, f"/console/meetings/{seeded['meeting'].id}/cancel")
    page = coordinator.get(answer.headers["Location"]).get_data(as_text=True)
    assert "1 notices queued" in page
    notices = (
        fresh(session)
        .scalars(select(OutboxItem).where(OutboxItem.purpose == OutboxPurpose.NOTICE))
        .all()
    )
    assert [n.member_id for n in notices] == [seeded["member"].id]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "meeting.cancel")).one()
    assert entry.actor == COORDINATOR and MEMBER_NUMBER not in str(entry.details)


def test_moving_a_meeting_plans_its_reminders_for_the_new_time(coordinator, session, seeded):
    meeting, times = seeded["meeting"], ReminderTimes.of(phoneline().config)
    zone = ZoneInfo(seeded["group"].timezone)  # the member's too (a 415 number)
    # At 17:00, moved to 18:00, a day and two hours before are daytime whatever the hour now.
    evening = datetime.now(zone) + timedelta(days=3)
    meeting.starts_at = evening.replace(hour=17, minute=0, second=0, microsecond=0).astimezone(UTC)
    meeting.ends_at = meeting.starts_at + timedelta(hours=1)
    before = meeting.starts_at
    rsvp = session.scalars(select(Rsvp).where(Rsvp.meeting_id == meeting.id)).one()
    reminders.plan(session, rsvp, times, utcnow())
    session.commit()
    later = before.astimezone(zone) + timedelta(hours=1)
    post(coordinator, f"/console/meetings/{meeting.id}/move", to=later.strftime("%Y-%m-%dT%H:%M"))
    pending = (
        fresh(session)
        .scalars(
            select(OutboxItem).where(
                OutboxItem.purpose == OutboxPurpose.REMINDER,
                OutboxItem.status == OutboxStatus.PENDING,
            )
        )
        .all()
    )
    moved = fresh(session).get(Meeting, meeting.id)
    assert len(pending) == len(times.offsets)
    assert all(r.due_at < moved.starts_at for r in pending)
    assert moved.starts_at == (before + timedelta(hours=1)).replace(second=0, microsecond=0)


def test_a_directory_file_with_an_error_is_shown_in_place_and_changes_nothing(
    coordinator, session, people
):
    bad = b"groups:\n  - slug: x\n    start_time: 18:30\n"
    answer = coordinator.post(
        "/console/directory",
        data={"csrf_token": token(coordinator), "file": (io.BytesIO(bad), "d.yaml")},
        content_type="multipart/form-data",
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "nothing was changed" in page and "line" in page
    assert fresh(session).scalars(select(Meeting)).all() == []


def test_the_broadcast_preview_counts_recipients_and_warns_about_cost_and_topic_words(
    coordinator, seeded
):
    form = {
        "audience": f"group:{seeded['group'].id}",
        "text_en": "Hope Circle meets at the cafá",
        "csrf_token": token(coordinator),
    }
    preview = coordinator.post("/console/broadcasts/preview", data=form).get_json()
    assert preview["recipients"] == 1
    assert preview["languages"][0]["non_gsm7"] == ["á"]
    assert preview["topic_words"] == ["circle", "hope"]


def test_sending_a_broadcast_plans_a_text_per_recipient(coordinator, session, seeded):
    form = {"audience": f"group:{seeded['group'].id}", "text_en": "Room 4 this week", "when": "now"}
    answer = post(coordinator, "/console/broadcasts", **form)
    assert answer.status_code == 302
    sent = fresh(session).scalars(select(Broadcast)).one()
    assert sent.recipients == 1 and sent.created_by == COORDINATOR
    progress = coordinator.get(f"/console/broadcasts/{sent.id}/progress").get_json()
    assert progress["planned"] == 1 and progress["done"] is False


def test_the_same_broadcast_twice_in_a_day_is_refused_unless_forced(coordinator, session, seeded):
    form = {"audience": f"group:{seeded['group'].id}", "text_en": "Room 4 this week"}
    post(coordinator, "/console/broadcasts", **form)
    again = post(coordinator, "/console/broadcasts", **form)
    assert again.status_code == 422
    forced = post(coordinator, "/console/broadcasts", force="1", **form)
    assert forced.status_code == 302
    assert len(fresh(session).scalars(select(Broadcast)).all()) == 2


def test_resuming_a_paused_broadcast_makes_its_waiting_texts_due_now(coordinator, session, seeded):
    post(
        coordinator,
        "/console/broadcasts",
        audience=f"group:{seeded['group'].id}",
        text_en="Room 4 this week",
    )
    sent = fresh(session).scalars(select(Broadcast)).one()
    sent.status = "paused"
    row = session.scalars(select(OutboxItem).where(OutboxItem.broadcast_id == sent.id)).one()
    row.due_at = datetime.now(UTC) + timedelta(minutes=15)
    session.commit()
    post(coordinator, f"/console/broadcasts/{sent.id}/resume")
    resumed = fresh(session).get(Broadcast, sent.id)
    assert resumed.status == "scheduled" and resumed.resumed_at is not None
    assert session.get(OutboxItem, row.id).due_at <= datetime.now(UTC)


def test_a_facilitator_sees_and_claims_requests_of_their_groups_only(
    facilitator, session, seeded, people
):
    other = CallbackRequest(
        code="654321",
        member_id=seeded["member"].id,
        language="en",
        source="sms",
        expires_at=datetime.now(UTC) + timedelta(days=7),
    )
    session.add(other)
    session.commit()
    page = facilitator.get("/console/callbacks").get_data(as_text=True)
    assert "123456" in page and "654321" not in page
    assert post(facilitator, f"/console/callbacks/{other.id}/claim").status_code == 404
    post(facilitator, f"/console/callbacks/{seeded['request'].id}/claim")
    claimed = fresh(session).get(CallbackRequest, seeded["request"].id)
    assert (claimed.status, claimed.claimed_by_id) == (CallbackStatus.CLAIMED, people.id)


def test_a_coordinator_gives_a_request_to_a_facilitator_who_is_texted_its_code(
    coordinator, session, seeded, people
):
    post(coordinator, f"/console/callbacks/{seeded['request'].id}/claim", facilitator=people.id)
    claimed = fresh(session).get(CallbackRequest, seeded["request"].id)
    assert (claimed.status, claimed.claimed_by_id) == (CallbackStatus.CLAIMED, people.id)
    told = session.scalars(select(OutboxItem).where(OutboxItem.facilitator_id == people.id)).one()
    assert told.template == "sms.facilitator.claimed" and told.params == {"code": "123456"}


def test_a_coordinator_moves_a_claimed_request_to_another_facilitator(
    coordinator, session, seeded, people
):
    june = Facilitator(slug="june", name="June K.", phone="+12125550177", languages=["en"])
    session.add(june)
    session.commit()
    path = f"/console/callbacks/{seeded['request'].id}/claim"
    post(coordinator, path, facilitator=people.id)
    post(coordinator, path, facilitator=june.id)
    assert fresh(session).get(CallbackRequest, seeded["request"].id).claimed_by_id == june.id


def test_the_recording_plays_for_coordinators_and_the_holder_only(
    coordinator, facilitator_client, session, seeded, people
):
    audio = b"RIFF....WAVEfmt "
    request = session.get(CallbackRequest, seeded["request"].id)
    request.recording = recordings.seal(SECRET, request.id, audio)
    request.recording_sid = "RE" + "1" * 32
    session.commit()
    path = f"/console/callbacks/{request.id}/recording"
    assert coordinator.get(f"{path}.wav").data == audio
    assert facilitator_client.get(f"{path}.wav").status_code == 404
    assert "No recording can be played" in facilitator_client.get(path).get_data(as_text=True)
    post(facilitator_client, f"/console/callbacks/{request.id}/claim")
    assert facilitator_client.get(f"{path}.wav").data == audio
    assert "<audio" in facilitator_client.get(path).get_data(as_text=True)


def test_consent_given_on_paper_is_recorded_in_the_ledger(coordinator, session, people):
    post(
        coordinator,
        "/console/consent",
        number="(415) 555-0199",
        purpose="broadcasts",
        source="paper",
        decision="grant",
    )
    assert members.has_consent(fresh(session), "+14155550199", ConsentPurpose.BROADCASTS, SECRET)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "consent.record")).one()
    assert "0199" not in str(entry.details) and entry.target is None


def test_deleting_a_member_needs_the_box_ticked_then_forgets_them(coordinator, session, seeded):
    member_id = seeded["member"].id
    post(coordinator, f"/console/members/{member_id}/delete")
    assert fresh(session).get(Member, member_id) is not None
    post(coordinator, f"/console/members/{member_id}/delete", confirm="yes")
    assert fresh(session).get(Member, member_id) is None


def test_the_monthly_report_shows_small_counts_as_under_five(coordinator, session, seeded):
    month = seeded["member"].rsvps[0].created_at.strftime("%Y-%m")
    page = coordinator.get("/console/reports", query_string={"month": month})
    text = page.get_data(as_text=True)
    assert "Hope Circle" in text and "&lt;5" in text
    csv = coordinator.get(f"/console/reports/{month}.csv").get_data(as_text=True)
    assert csv.splitlines()[1].startswith("Hope Circle,en,<5,<5")


def test_the_audit_log_lists_actions_without_content(coordinator, session, seeded):
    post(coordinator, f"/console/meetings/{seeded['meeting'].id}/cancel")
    page = coordinator.get("/console/audit").get_data(as_text=True)
    assert "meeting.cancel" in page and "sign_in" in page


def test_users_add_reads_the_password_from_standard_input_and_hashes_it(app, session, people):
    result = app.test_cli_runner().invoke(
        cli,
        ["users", "add", "june@example.org", "--role", "facilitator", "--facilitator", "ana"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = fresh(session).scalars(select(User).where(User.email == "june@example.org")).one()
    assert user.password_hash.startswith("$argon2id$") and user.facilitator_id == people.id


def test_users_add_refuses_an_unknown_facilitator(app, people):
    result = app.test_cli_runner().invoke(
        cli,
        ["users", "add", "x@example.org", "--role", "facilitator", "--facilitator", "nope"],
        input="a long enough password\n",
    )
    assert result.exit_code == 1 and "no facilitator 'nope'" in result.output


def test_a_cell_of_five_or_more_shows_its_count_and_median(coordinator, session, seeded):
    now = datetime.now(UTC)
    called = now - timedelta(minutes=20)
    for n in range(5):
        member = factories.member(session, language="es")
        session.add(
            CallbackRequest(
                code=f"{200000 + n}",
                member_id=member.id,
                group_id=seeded["group"].id,
                language="es",
                source="voice",
                status=CallbackStatus.DONE,
                created_at=now - timedelta(minutes=30 + n),
                called_at=called,
                expires_at=now + timedelta(days=7),
            )
        )
    session.commit()
    # A callback counts in the (UTC) month it was answered: in a month's first 20 minutes, the
    # month before this one.
    csv = coordinator.get(f"/console/reports/{called:%Y-%m}.csv").get_data(as_text=True)
    spanish = next(line for line in csv.splitlines() if line.startswith("Hope Circle,es"))
    assert spanish.endswith(",5,12")  # 5 answered, median of 10..14 minutes


def test_a_number_that_stops_is_one_opt_out_however_many_purposes_it_revokes(
    coordinator, session, people
):
    # One instant for the STOP and the chart: a month's last milliseconds would put the STOP
    # in one month and the chart's last bar in the next.
    with time_machine.travel(datetime.now(UTC), tick=False):
        members.revoke_all(session, "+14155550177", ConsentSource.SMS, SECRET)
        session.commit()
        series = stats.opt_outs_per_month(session, datetime.now(UTC))
    assert series.values["opt_outs"][-1] == 1


def test_a_broadcast_for_later_waits_for_its_time_in_the_groups_clock(coordinator, session, seeded):
    zone = ZoneInfo(seeded["group"].timezone)
    # Noon in the group's zone, two days on: a wall-clock time no DST change skips or repeats
    # (typed at the hour the clocks go back, 1:30 would name two instants).
    later = (datetime.now(zone) + timedelta(days=2)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    form = {"audience": f"group:{seeded['group'].id}", "text_en": "Room 4 this week"}
    post(coordinator, "/console/broadcasts", when="later", at=f"{later:%Y-%m-%dT%H:%M}", **form)
    planned = fresh(session).scalars(select(Broadcast)).one()
    assert abs(planned.send_at - later) < timedelta(minutes=1)
    progress = coordinator.get(f"/console/broadcasts/{planned.id}/progress").get_json()
    assert progress["status"] == "scheduled"
    assert "Waiting for its time" in coordinator.get("/console/broadcasts").get_data(as_text=True)
