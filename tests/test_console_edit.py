"""Fixing a group from a form and choosing who is on call (SPEC §5 rules, §10, §13): the same
rules as a directory file, errors next to the field, nothing saved unless all is right, seats
kept consistent, every change audited by field name only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import (
    AuditEntry,
    CallbackRequest,
    Group,
    GroupFacilitator,
    GroupFormat,
    Meeting,
    MeetingStatus,
    OutboxItem,
    OutboxPurpose,
    Rsvp,
    RsvpStatus,
)
from app.services import notices, rsvps
from tests import factories
from tests.conftest import fresh
from tests.console_support import account, post, sign_in
from tests.sms_phone import Phone

COORDINATOR = "lee@example.org"
ANA = "+14155550124"
BEN = "+14155550125"


@pytest.fixture
def people(session):
    ana = factories.facilitator(session, ANA, slug="ana", name="Ana R.", on_call=False)
    account(session, COORDINATOR, "coordinator")
    return ana


@pytest.fixture
def coordinator(client, people):
    assert sign_in(client, COORDINATOR).status_code == 302
    return client


@pytest.fixture
def group(session, people):
    found = factories.group(session, slug="tuesday", name="Hope Circle", alias="Tuesday group")
    session.add(GroupFacilitator(group_id=found.id, facilitator_id=people.id))
    session.commit()
    return found


def form_of(group: Group, **changes: object) -> dict[str, object]:
    """The edit form as the page fills it for this group, with some fields changed."""
    form: dict[str, object] = {
        "name": group.name,
        "alias": group.alias,
        "location_name": group.location_name or "",
        "address": group.address or "",
        "zip": group.zip or "",
        "notes": group.notes or "",
        "dial_in_number": group.dial_in_number or "",
        "dial_in_code": group.dial_in_code or "",
        "capacity": "" if group.capacity is None else str(group.capacity),
        "topics": list(group.topics),
        "audience": list(group.audience),
        "accessibility": list(group.accessibility),
        "languages": list(group.languages),
        "active": "yes" if group.active else "",
    }
    return {**form, **changes}


def edit(client, group: Group, **changes: object):
    return post(client, f"/console/groups/{group.slug}/edit", **form_of(group, **changes))


def audited(session, action: str) -> list[AuditEntry]:
    return list(fresh(session).scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_edit_form_and_the_on_call_form_need_their_csrf_token(coordinator, session, group):
    answer = coordinator.post("/console/groups/tuesday/edit", data=form_of(group, notes="Room 4"))
    assert answer.status_code == 400
    ana = coordinator.post(f"/console/facilitators/{group.facilitators[0].id}/on-call")
    assert ana.status_code == 400
    assert fresh(session).get(Group, group.id).notes is None


def test_the_edit_page_says_schedules_go_through_an_upload_which_replaces_edits(coordinator, group):
    page = coordinator.get("/console/groups/tuesday/edit").get_data(as_text=True)
    assert "change them in the directory file, then upload it" in page
    assert "replaces everything saved here" in page
    assert 'value="Mission Branch Library"' in page and 'for="f-notes"' in page


def test_an_alias_with_a_topic_word_is_refused_next_to_the_field_and_nothing_changes(
    coordinator, session, group
):
    answer = edit(coordinator, group, alias="Grief night", notes="Side door")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "nothing was saved" in page
    assert '<p class="field-error" id="err-alias">An alias may not name a topic (grief)' in page
    assert 'value="Grief night"' in page  # what was typed stays, to be corrected
    stored = fresh(session).get(Group, group.id)
    assert (stored.alias, stored.notes) == ("Tuesday group", None)
    assert audited(session, "group.edit") == []


def test_every_wrong_field_is_shown_at_once_by_the_importers_rules(coordinator, session, group):
    wrong = {"name": "A" * 33, "zip": "00000", "capacity": "lots", "topics": []}
    wrong |= {"address": "Ōak St", "location_name": "Library \U0001f600"}
    page = edit(coordinator, group, notes="Café door", **wrong)
    page = page.get_data(as_text=True)
    assert 'id="err-name">At most 32 characters (this has 33)' in page
    assert 'id="err-zip">Not a US ZIP code the line knows' in page
    assert 'id="err-capacity">Write a whole number from 1 to 1000' in page
    assert 'id="err-notes"' not in page  # é is GSM-7
    assert (
        'id="err-address">&#34;Ō&#34; cannot be sent in a text message; write &#34;O&#34;' in page
    )
    assert 'id="err-location_name">&#34;\U0001f600&#34; cannot be sent in a text message.<' in page
    assert 'id="err-topics">Choose at least one.' in page
    assert fresh(session).get(Group, group.id).name == "Hope Circle"


def test_a_saved_edit_shows_on_the_group_page_and_audits_field_names_only(
    coordinator, session, group
):
    answer = edit(coordinator, group, notes="Side door, room 2", zip="10001")
    assert answer.status_code == 302
    page = coordinator.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Side door, room 2" in page and "Saved: 2 fields changed" in page
    stored = fresh(session).get(Group, group.id)
    assert stored.zip == "10001" and round(stored.latitude) == 41  # the ZIP's place follows it
    (entry,) = audited(session, "group.edit")
    assert entry.target == "group:tuesday" and entry.details["fields"] == ["notes", "zip"]
    assert "Side door" not in str(entry.details)


@pytest.fixture
def full_meeting(session, group):
    group.capacity = 1
    meeting = factories.meeting(session, group, starts_in=timedelta(days=2))
    waiting = [factories.member(session, language="en") for _ in range(3)]
    made = [rsvps.create(session, m, meeting.id, "sms").rsvp for m in waiting]
    session.commit()
    return made  # one seated, two waiting


def test_more_seats_move_the_first_waitlisted_member_up_and_text_them(
    coordinator, session, group, full_meeting
):
    first = full_meeting[1]
    assert edit(coordinator, group, capacity="2").status_code == 302
    db = fresh(session)
    statuses = [db.get(Rsvp, r.id).status for r in full_meeting]
    assert statuses == [RsvpStatus.CONFIRMED, RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED]
    told = db.scalars(select(OutboxItem).where(OutboxItem.purpose == OutboxPurpose.NOTICE)).all()
    assert [(t.member_id, t.template) for t in told] == [
        (first.member_id, notices.PROMOTED_TEMPLATE)
    ]
    assert audited(session, "group.edit")[0].details["promoted"] == 1


def test_fewer_seats_than_already_taken_are_refused_and_nothing_changes(
    coordinator, session, group, full_meeting
):
    db = fresh(session)
    db.get(Group, group.id).capacity = 3
    for rsvp in full_meeting:
        db.get(Rsvp, rsvp.id).status = RsvpStatus.CONFIRMED
    db.commit()
    answer = edit(coordinator, group, capacity="2", notes="Room 4")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="err-capacity">Fewer seats than already taken' in page and ": 3" in page
    stored = fresh(session).get(Group, group.id)
    assert (stored.capacity, stored.notes) == (3, None)


def test_making_a_group_inactive_cancels_its_meetings_to_come_with_notices(
    coordinator, session, group, full_meeting
):
    assert edit(coordinator, group, active="").status_code == 302
    db = fresh(session)
    meeting = db.get(Rsvp, full_meeting[0].id).meeting
    assert meeting.status is MeetingStatus.CANCELLED and not db.get(Group, group.id).active
    assert len(db.scalars(select(OutboxItem)).all()) == 3


def test_a_group_made_active_again_has_its_meetings_planned(coordinator, session, group):
    group.active = False
    session.commit()
    assert edit(coordinator, group, active="yes").status_code == 302
    planned = fresh(session).scalars(select(Meeting).where(Meeting.group_id == group.id)).all()
    assert planned and all(m.status is MeetingStatus.SCHEDULED for m in planned)


def test_a_phone_group_has_dial_in_fields_checked_as_a_file_is(coordinator, session, people):
    phone = factories.group(
        session,
        slug="by-phone",
        format=GroupFormat.PHONE,
        location_name=None,
        address=None,
        zip=None,
        dial_in_number="+14155550999",
        dial_in_code="123456",
    )
    session.commit()
    page = coordinator.get("/console/groups/by-phone/edit").get_data(as_text=True)
    assert 'id="f-dial_in_number"' in page and 'id="f-location_name"' not in page
    refused = edit(coordinator, phone, dial_in_code="12-34", dial_in_number="")
    text = refused.get_data(as_text=True)
    assert 'id="err-dial_in_code">Digits only' in text and 'id="err-dial_in_number">Fill' in text
    assert edit(coordinator, phone, dial_in_number="(415) 555-0998").status_code == 302
    assert fresh(session).get(Group, phone.id).dial_in_number == "+14155550998"


# --- facilitators --------------------------------------------------------------------------------


def test_the_facilitators_page_lists_groups_and_masks_numbers(coordinator, group):
    page = coordinator.get("/console/facilitators").get_data(as_text=True)
    assert "Ana R." in page and "Hope Circle" in page and "•••-•••-0124" in page
    assert ANA not in page and "4155550124" not in page
    assert "Nobody is on call" in page


def alerted(session) -> set[str]:
    rows = fresh(session).scalars(select(OutboxItem).where(OutboxItem.facilitator_id.is_not(None)))
    return {r.recipient for r in rows}


def test_on_call_set_here_decides_who_is_alerted_for_a_new_callback_request(
    coordinator, twilio, session, people
):
    ben = factories.facilitator(session, BEN, name="Ben T.", on_call=True)
    session.commit()
    post(coordinator, f"/console/facilitators/{people.id}/on-call", on_call="yes")
    post(coordinator, f"/console/facilitators/{ben.id}/on-call", on_call="no")
    Phone(twilio, "+14155550100").text("CALL")
    assert fresh(session).scalars(select(CallbackRequest)).one() is not None
    assert alerted(session) == {ANA}
    changes = [(e.target, e.details) for e in audited(session, "facilitator.on_call")]
    assert changes == [
        ("facilitator:ana", {"on_call": True}),
        (f"facilitator:{ben.slug}", {"on_call": False}),
    ]
