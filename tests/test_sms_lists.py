"""What a member reads in a result list and a group's details (review items 18, 19, 21, S1-4,
S2-6, S2-9): one result per line, place names cut between words, whole miles, the group's
language when it is not the member's, the real schedule, video groups as "by video", and every
reply within two segments."""

import re
from datetime import timedelta

import pytest

from app.models import GroupFormat
from app.segments import count, is_gsm7
from tests import factories
from tests.sms_phone import MEMBER, MISSION, Phone, nearby_groups, say


@pytest.fixture
def phone(twilio):
    return Phone(twilio)


def member_speaking(session, phone, language):
    factories.member(session, MEMBER, language=language)
    session.commit()
    phone.text("MENU")  # a conversation under way: no first-message footer
    return phone


def one_group(session, **fields):
    values = {"latitude": MISSION[0], "longitude": MISSION[1], "languages": ["en", "es"]}
    group = factories.group(session, **{**values, **fields})
    factories.meeting(session, group, starts_in=timedelta(days=3))
    session.commit()
    return group


@pytest.mark.parametrize(
    ("place", "shown"),
    [
        ("Mission Branch Library", "Mission Branch,"),
        ("Fruitvale Senior Center", "Fruitvale Senior,"),
        ("Centro Comunitario de la Mision", "Centro Comunitario,"),
        ("Cathedral", "Cathedral,"),
    ],
)
def test_it_cuts_a_place_name_between_words(phone, session, place, shown):
    one_group(session, location_name=place)
    (reply,) = member_speaking(session, phone, "en").text("94110")
    assert f", {shown} " in reply.splitlines()[0]


def test_it_lists_distances_as_whole_miles_and_under_one_mile(phone, session):
    one_group(session, name="Near")
    one_group(session, name="Far", latitude=MISSION[0] + 0.16)  # about 11 miles north
    lines = member_speaking(session, phone, "en").text("94110")[0].splitlines()
    assert lines[0].startswith("1 Near") and lines[0].endswith(", <1 mi")
    assert lines[1].startswith("2 Far") and re.search(r", 1[01] mi$", lines[1])


@pytest.mark.parametrize(
    ("member_language", "group_languages", "marked"),
    [
        ("en", ["es"], "Circle (in Spanish),"),
        ("es", ["en"], "Circle (en inglés),"),
        ("en", ["en", "es"], "Circle,"),
        ("es", ["es"], "Circle,"),
    ],
)
def test_it_says_a_groups_language_when_it_is_not_the_members(
    phone, session, member_language, group_languages, marked
):
    one_group(session, name="Circle", languages=group_languages)
    member_speaking(session, phone, member_language)
    (listed,) = phone.text("94110")
    assert listed.startswith(f"1 {marked}")
    (details,) = phone.text("1")
    assert details.startswith(marked.rstrip(",") + ":")


@pytest.mark.parametrize(
    ("language", "rule", "said"),
    [
        ("en", "FREQ=WEEKLY;BYDAY=MO,WE", "Meets every Monday and Wednesday."),
        ("en", "FREQ=WEEKLY;BYDAY=TU", "Meets every Tuesday."),
        ("en", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", "Meets every 2 weeks on Thursday."),
        ("en", "FREQ=MONTHLY;BYDAY=2WE,4WE", "Meets the 2nd and 4th Wednesday of each month."),
        ("en", "FREQ=MONTHLY;BYDAY=1SA", "Meets the 1st Saturday of each month."),
        ("en", "FREQ=MONTHLY;BYMONTHDAY=15", "Meets on a set schedule."),
        ("es", "FREQ=WEEKLY;BYDAY=MO,WE", "Horario: cada semana, lunes y miércoles."),
        ("es", "FREQ=MONTHLY;BYDAY=2WE,4WE", "Horario: el segundo y cuarto miércoles de cada mes."),
        ("es", "FREQ=MONTHLY;BYDAY=1SA", "Horario: el primer sab de cada mes."),
    ],
)
def test_it_says_the_real_schedule_in_details(phone, session, language, rule, said):
    one_group(session, schedule=rule)
    member_speaking(session, phone, language)
    phone.text("94110")
    (details,) = phone.text("1")
    assert said in details


def test_it_lists_a_video_group_without_dial_in_as_by_video_and_says_how_to_get_the_link(
    phone, session
):
    group = factories.group(
        session, name="Video Circle", format=GroupFormat.VIDEO, location_name=None, address=None
    )
    factories.meeting(session, group)
    session.commit()
    member_speaking(session, phone, "en")
    (listed,) = phone.text("94110")
    assert listed.splitlines()[1].startswith("1 Video Circle, ")
    assert listed.splitlines()[1].endswith(", by video")
    (details,) = phone.text("1")
    assert "By video: for the link, text CALL and a facilitator will call you." in details
    assert "call ," not in details and "code ." not in details


def a_phone_group_meeting(session):
    """A group that meets only by phone, with its dial-in and code, and its next meeting."""
    group = factories.group(
        session, format=GroupFormat.PHONE, location_name=None, address=None,
        dial_in_number="+14155550999", dial_in_code="482913",
    )  # fmt: skip
    factories.meeting(session, group)
    session.commit()


def test_a_phone_groups_details_carry_its_dial_in_and_code(phone, session):
    a_phone_group_meeting(session)
    member_speaking(session, phone, "es")
    phone.text("94110")
    (details,) = phone.text("1")
    assert "Por teléfono: llame al (415) 555-0999, clave 482913." in details
    assert is_gsm7(details)


def test_a_zip_with_only_phone_groups_says_none_meets_in_person_and_211(phone, session):
    a_phone_group_meeting(session)
    (listed,) = member_speaking(session, phone, "en").text("59001")
    assert listed.splitlines()[0] == say("en", "sms.search.no_in_person")
    assert listed.splitlines()[1].endswith(", by phone")


@pytest.mark.parametrize("language", ["en", "es"])
def test_long_names_in_another_language_still_fit_two_segments_and_more_goes_on(
    phone, session, language
):
    other = {"en": ["es"], "es": ["en"]}[language]
    for n in range(4):
        one_group(session, name=f"{n}" * 32, languages=other, latitude=MISSION[0] + 0.01 * n)
    member_speaking(session, phone, language)
    (first,) = phone.text("94110")
    shown = [line for line in first.splitlines() if line[:1].isdigit()]
    assert count(first).count <= 2 and is_gsm7(first)
    (more,) = phone.text({"en": "MORE", "es": "MAS"}[language])
    assert more.startswith(f"{len(shown) + 1} ")


def test_a_first_zip_from_a_spanish_speaker_is_one_text_with_the_footer(phone, session):
    nearby_groups(session)
    (reply,) = phone.text("BUSCAR 94110")
    assert reply.endswith(say("es", "sms.first_footer"))
    assert count(reply).count <= 2 and is_gsm7(reply)


def test_spanish_dates_never_say_mar_for_march_and_times_say_p_m(phone, session):
    nearby_groups(session, count=1)
    (listed,) = member_speaking(session, phone, "es").text("94110")
    when = re.search(r", ((lun|mar|mié|jue|vie|sab|dom) \d+ (\w+), \d+:\d\d (a|p)\. m\.),", listed)
    assert when is not None, listed
    assert when.group(3) in {"ene", "feb", "marzo", "abr", "mayo", "jun", "jul", "ago", "sept",
                             "oct", "nov", "dic"}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "es"])
def test_details_with_the_longest_names_and_notes_still_fit_two_segments(phone, session, language):
    one_group(
        session, name="N" * 32, location_name="P" * 40, address="A" * 60, notes="O" * 60,
        topics=["depression", "recovery"], schedule="FREQ=MONTHLY;BYDAY=1WE,3WE",
        languages=["fr"],
    )  # fmt: skip
    member_speaking(session, phone, language)
    phone.text("94110")
    (details,) = phone.text("1")
    assert count(details).count <= 2 and is_gsm7(details), details
    assert details.startswith("N" * 32) and "O" * 60 + "." in details


def test_a_spanish_time_before_a_full_stop_has_one_period(phone, session):
    nearby_groups(session, count=1)
    member_speaking(session, phone, "es")
    phone.text("94110")
    (details,) = phone.text("1")
    assert "m.." not in details and re.search(r"[ap]\. m\. ", details)
