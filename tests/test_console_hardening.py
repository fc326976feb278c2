"""What the console lets slip and what it stands up to (security review L1, L2, L3, L10): a
member's number never goes into a URL, look-ups by number are in the audit log, exported cells
cannot run as spreadsheet formulas, and a strange CSRF token is refused, not a server error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.console.reports import inert
from app.models import AuditEntry, Facilitator, Rsvp, RsvpStatus
from tests import factories
from tests.conftest import fresh
from tests.console_support import account, post, sign_in

COORDINATOR = "lee@example.org"
MEMBER_NUMBER = "+14155550123"


@pytest.fixture
def coordinator(client, session):
    account(session, COORDINATOR, "coordinator")
    factories.member(session, phone=MEMBER_NUMBER, language="en")
    session.commit()
    assert sign_in(client, COORDINATOR).status_code == 302
    return client


def test_the_member_search_form_posts_so_the_number_stays_out_of_the_address(coordinator):
    page = coordinator.get("/console/members").get_data(as_text=True)
    assert '<form method="post" role="search"' in page


def test_a_search_by_number_finds_the_member_and_is_audited_without_the_number(
    coordinator, session
):
    answer = post(coordinator, "/console/members", q="(415) 555-0123")
    assert "•••-•••-0123" in answer.get_data(as_text=True)
    post(coordinator, "/console/members", q="0123")
    entries = fresh(session).scalars(
        select(AuditEntry).where(AuditEntry.action == "member.search").order_by(AuditEntry.id)
    )
    assert [(e.actor, e.details) for e in entries] == [
        (COORDINATOR, {"by": "number", "found": 1}),
        (COORDINATOR, {"by": "last_four", "found": 1}),
    ]
    assert not any("0123" in str(e.details) for e in fresh(session).scalars(select(AuditEntry)))


def test_a_number_in_the_address_is_not_searched(coordinator, session):
    coordinator.get("/console/members?q=%2B14155550123")
    searches = select(AuditEntry).where(AuditEntry.action == "member.search")
    assert fresh(session).scalars(searches).first() is None


def test_a_search_needs_the_csrf_token(coordinator):
    answer = coordinator.post("/console/members", data={"q": "0123"})
    assert answer.status_code == 400


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(start):
    assert inert(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


def test_plain_cells_are_written_as_they_are():
    assert [inert(c) for c in ["Hope Circle", "<5", "12", "en"]] == [
        "Hope Circle",
        "<5",
        "12",
        "en",
    ]


def test_the_report_csv_writes_a_formula_group_name_as_text(coordinator, session):
    group = factories.group(session, slug="tuesday", name='=HYPERLINK("//x.io","Hi")')
    meeting = factories.meeting(session, group, starts_in=timedelta(days=2))
    member = factories.member(session, phone="+14155550124", language="en")
    rsvp = Rsvp(
        member_id=member.id, meeting_id=meeting.id, status=RsvpStatus.CONFIRMED, source="sms"
    )
    session.add(rsvp)
    session.commit()
    month = rsvp.created_at.strftime("%Y-%m")
    csv_text = coordinator.get(f"/console/reports/{month}.csv").get_data(as_text=True)
    assert csv_text.splitlines()[1].startswith('"\'=HYPERLINK(""//x.io"",""Hi"")",en,')


@pytest.mark.parametrize("path", ["/console/sign-in", "/console/sign-out"])
def test_a_csrf_token_that_is_not_ascii_is_refused_not_a_server_error(client, session, path):
    account(session, COORDINATOR, "coordinator")
    session.add(Facilitator(slug="ana", name="Ana R.", phone="+14155550125", languages=["en"]))
    session.commit()
    client.get("/console/sign-in")  # the session now holds a token to compare against
    if path.endswith("sign-out"):
        sign_in(client, COORDINATOR)
    answer = client.post(path, data={"csrf_token": "é", "email": COORDINATOR, "password": "x"})
    assert answer.status_code == 400
