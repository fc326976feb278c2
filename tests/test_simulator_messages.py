"""The simulator's Messages API and carrier: what the line relies on Twilio to do."""

import json
from datetime import UTC, timedelta

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from app.config import PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN
from app.db import utcnow
from app.gateway import GatewayError
from app.simulator import TWILIO_LIKE, Disorder, MessageTiming, Simulator
from tests.simulator_fixtures import LINE_NUMBER as LINE
from tests.simulator_fixtures import gateway_for

MEMBER = "+14155550100"
STATUS_URL = "http://127.0.0.1:5000/twilio/status/message?o=42"
STATUS_PATH = "/twilio/status/message"
AUTH = (PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN)


def statuses(fake_app):
    return [r.params["MessageStatus"] for r in fake_app.to(STATUS_PATH)]


def test_a_created_text_answers_twilio_s_json_shape(bare_simulator, bare_gateway):
    sent = bare_gateway.send_sms(MEMBER, "Hello")
    raw = bare_simulator.store.messages[sent.sid].json()
    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert sent.status == "queued" and raw["direction"] == "outbound-api"
    assert raw["uri"].endswith(f"/Messages/{sent.sid}.json")


def test_a_created_text_answers_the_segments_twilio_bills(bare_simulator, bare_gateway):
    # the € would straddle the first two parts; Twilio moves it whole to the second
    sent = bare_gateway.send_sms(MEMBER, "a" * 152 + "€" + "a" * 152)
    assert bare_simulator.store.messages[sent.sid].json()["num_segments"] == "3"


def test_a_text_moves_through_sent_to_delivered_with_a_callback_for_each(
    bare_simulator, bare_gateway, fake_app
):
    bare_gateway.send_sms(MEMBER, "Hello", status_callback=STATUS_URL)
    bare_simulator.wait_idle()
    assert statuses(fake_app) == ["sent", "delivered"]


def test_status_callbacks_are_signed_as_twilio_signs_them(bare_simulator, bare_gateway, fake_app):
    bare_gateway.send_sms(MEMBER, "Hello", status_callback=STATUS_URL)
    bare_simulator.wait_idle()
    validator = RequestValidator(PLACEHOLDER_AUTH_TOKEN)
    for received in fake_app.to(STATUS_PATH):
        assert validator.validate(received.url, received.params, received.signature)
        assert not RequestValidator("another-token").validate(
            received.url, received.params, received.signature
        )


def test_a_phone_that_cannot_take_the_text_gets_an_undelivered_with_its_code(
    bare_simulator, bare_gateway, fake_app
):
    bare_simulator.phone(MEMBER).texts_fail("undelivered", 30003)
    bare_gateway.send_sms(MEMBER, "Hello", status_callback=STATUS_URL)
    bare_simulator.wait_idle()
    final = fake_app.to(STATUS_PATH)[-1].params
    assert (final["MessageStatus"], final["ErrorCode"]) == ("undelivered", "30003")
    assert bare_simulator.phone(MEMBER).inbox == []


def test_early_callbacks_arrive_before_the_create_request_is_answered(
    bare_simulator, bare_gateway, fake_app
):
    bare_simulator.disorder = Disorder.EARLY
    bare_gateway.send_sms(MEMBER, "Hello", status_callback=STATUS_URL)
    assert statuses(fake_app) == ["sent", "delivered"]  # no wait_idle: already there


def test_duplicated_callbacks_arrive_twice(bare_simulator, bare_gateway, fake_app):
    bare_simulator.disorder = Disorder.DUPLICATED
    bare_gateway.send_sms(MEMBER, "Hello", status_callback=STATUS_URL)
    bare_simulator.wait_idle()
    assert statuses(fake_app) == ["sent", "sent", "delivered", "delivered"]


def test_out_of_order_callbacks_bring_the_final_status_first(
    bare_simulator, bare_gateway, fake_app
):
    bare_simulator.disorder = Disorder.OUT_OF_ORDER
    bare_gateway.send_sms(MEMBER, "Hello", status_callback=STATUS_URL)
    bare_simulator.wait_idle()
    assert statuses(fake_app) == ["delivered", "sent"]


def test_lost_callbacks_never_arrive_but_the_text_is_delivered(
    bare_simulator, bare_gateway, fake_app
):
    bare_simulator.disorder = Disorder.NEVER
    sent = bare_gateway.send_sms(MEMBER, "Hello", status_callback=STATUS_URL)
    bare_simulator.wait_idle()
    assert statuses(fake_app) == []
    assert bare_gateway.fetch_message(sent.sid).status == "delivered"


def test_a_messaging_service_text_calls_back_when_it_leaves_accepted(
    bare_simulator, tmp_path, fake_app
):
    service = gateway_for(
        bare_simulator.url, tmp_path, TWILIO_MESSAGING_SERVICE_SID="MG" + "3" * 32
    )
    service.send_sms(MEMBER, "Hello", status_callback=STATUS_URL)
    bare_simulator.wait_idle()
    assert statuses(fake_app) == ["queued", "sent", "delivered"]


def test_a_failed_text_calls_back_once_with_its_code(bare_simulator, bare_gateway, fake_app):
    bare_simulator.phone(MEMBER).texts_fail("failed", 30006)
    bare_gateway.send_sms(MEMBER, "Hello", status_callback=STATUS_URL)
    bare_simulator.wait_idle()
    assert [
        (r.params["MessageStatus"], r.params["ErrorCode"]) for r in fake_app.to(STATUS_PATH)
    ] == [("failed", "30006")]


@pytest.mark.parametrize("word", ["STOP", "stop", " Unsubscribe ", "CANCEL", "end", "QUIT"])
def test_a_one_word_stop_blocks_the_number_and_tells_the_app(bare_simulator, fake_app, word):
    bare_simulator.text_line(MEMBER, word)
    (inbound,) = fake_app.to("/twilio/sms")
    assert inbound.params["OptOutType"] == "STOP"
    assert bare_simulator.phone(MEMBER).blocked


def test_stop_inside_a_sentence_is_not_a_carrier_keyword(bare_simulator, fake_app):
    bare_simulator.text_line(MEMBER, "please stop texting me")
    (inbound,) = fake_app.to("/twilio/sms")
    assert "OptOutType" not in inbound.params
    assert not bare_simulator.phone(MEMBER).blocked


def test_start_unblocks_a_stopped_number(bare_simulator, bare_gateway, fake_app):
    bare_simulator.text_line(MEMBER, "STOP")
    bare_simulator.text_line(MEMBER, "START")
    assert fake_app.to("/twilio/sms")[-1].params["OptOutType"] == "START"
    assert bare_gateway.send_sms(MEMBER, "Welcome back").status == "queued"


def test_help_is_answered_by_the_carrier_and_passed_on(bare_simulator, fake_app):
    bare_simulator.text_line(MEMBER, "HELP")
    assert fake_app.to("/twilio/sms")[-1].params["OptOutType"] == "HELP"
    assert not bare_simulator.phone(MEMBER).blocked


def test_a_blocked_number_gets_21610_from_the_api(bare_simulator, bare_gateway):
    bare_simulator.text_line(MEMBER, "STOP")
    with pytest.raises(GatewayError) as refused:
        bare_gateway.send_sms(MEMBER, "Reminder")
    assert refused.value.code == 21610


def test_the_app_s_twiml_reply_reaches_the_phone(bare_simulator, fake_app):
    fake_app.documents["/twilio/sms"] = "<Response><Message>Thanks, got it</Message></Response>"
    assert bare_simulator.text_line(MEMBER, "hello") == ["Thanks, got it"]


def test_a_twiml_reply_to_a_blocked_number_never_reaches_it(bare_simulator, fake_app):
    fake_app.documents["/twilio/sms"] = (
        "<Response><Message>You are unsubscribed</Message></Response>"
    )
    bare_simulator.text_line(MEMBER, "STOP")
    assert "You are unsubscribed" not in bare_simulator.phone(MEMBER).inbox
    reply = [m for m in bare_simulator.messages_to(MEMBER) if m.direction == "outbound-reply"]
    assert (reply[0].status, reply[0].error_code) == ("failed", 21610)


def test_inbound_texts_carry_what_the_line_requires(bare_simulator, fake_app):
    bare_simulator.text_line(MEMBER, "hello")
    params = fake_app.to("/twilio/sms")[0].params
    assert {"MessageSid", "From", "To", "Body", "AccountSid"} <= set(params)
    assert (params["From"], params["To"], params["Body"]) == (MEMBER, "+15005550006", "hello")


@pytest.mark.parametrize(
    ("to", "code"),
    [("+15005550001", 21211), ("12", 21211), ("+15005550004", 21610), ("+15005550009", 21614)],
)
def test_twilio_s_magic_numbers_and_bad_numbers_get_twilio_s_codes(bare_gateway, to, code):
    with pytest.raises(GatewayError) as refused:
        bare_gateway.send_sms(to, "Hello")
    assert refused.value.code == code


def test_a_landline_is_refused_with_21614(bare_simulator, bare_gateway):
    bare_simulator.phone(MEMBER).landline = True
    with pytest.raises(GatewayError) as refused:
        bare_gateway.send_sms(MEMBER, "Hello")
    assert (refused.value.code, refused.value.permanent) == (21614, True)


def test_a_body_over_1600_characters_is_refused_with_21617(bare_gateway):
    with pytest.raises(GatewayError) as refused:
        bare_gateway.send_sms(MEMBER, "a" * 1601)
    assert refused.value.code == 21617


def test_texts_from_a_number_the_account_does_not_own_are_refused(bare_gateway):
    with pytest.raises(TwilioRestException) as refused:
        bare_gateway.client.messages.create(to=MEMBER, from_="+14155559999", body="Hi")
    assert refused.value.code == 21606


def test_errors_have_twilio_s_json_shape(bare_simulator):
    from app.simulator.api import error

    reply = json.loads(error(400, 21211, "bad").body)
    assert reply == {
        "code": 21211,
        "message": "bad",
        "more_info": "https://www.twilio.com/docs/errors/21211",
        "status": 400,
    }


def test_listing_filters_by_recipient(bare_simulator, bare_gateway):
    bare_gateway.send_sms(MEMBER, "to the member")
    bare_gateway.send_sms("+14155550199", "to someone else")
    bare_simulator.wait_idle()
    listed = bare_gateway.client.messages.list(to=MEMBER)
    assert [m.body for m in listed] == ["to the member"]


def test_listing_pages_through_many_texts(bare_simulator, bare_gateway):
    for n in range(7):
        bare_gateway.send_sms(MEMBER, f"text {n}")
    bare_simulator.wait_idle()
    found = bare_gateway.client.messages.list(to=MEMBER, page_size=3)
    assert sorted(m.body for m in found) == [f"text {n}" for n in range(7)]


def test_a_text_still_queued_cannot_be_deleted(bare_simulator, bare_gateway):
    message = bare_simulator.add_message(
        to=MEMBER, from_="+15005550006", body="x", direction="outbound-api", status="queued"
    )
    with pytest.raises(GatewayError) as refused:
        bare_gateway.delete_message(message.sid)
    assert refused.value.code == 20009


def test_a_deleted_text_is_gone_from_fetch_and_list(bare_simulator, bare_gateway):
    sent = bare_gateway.send_sms(MEMBER, "Hello")
    bare_simulator.wait_idle()
    bare_gateway.delete_message(sent.sid)
    with pytest.raises(GatewayError) as gone:
        bare_gateway.fetch_message(sent.sid)
    assert gone.value.status == 404
    assert bare_gateway.list_messages(MEMBER) == []


def test_date_sent_filters_by_whole_utc_days_as_twilio_does(bare_simulator, bare_gateway):
    sent = bare_gateway.send_sms(MEMBER, "Hello")
    bare_simulator.wait_idle()
    # The UTC day it went out, not the day after it when the test runs at midnight.
    today = bare_gateway.fetch_message(sent.sid).date_sent.astimezone(UTC).date()
    listed = bare_gateway.client.messages.list
    assert len(listed(to=MEMBER, date_sent_after=today.isoformat())) == 1
    assert len(listed(to=MEMBER, date_sent=today.isoformat())) == 1
    assert listed(to=MEMBER, date_sent_after=(today + timedelta(days=1)).isoformat()) == []
    assert listed(to=MEMBER, date_sent_before=(today - timedelta(days=1)).isoformat()) == []


# --- a text's life: queued, sending, sent, then delivered, over time ------------------------


def test_a_text_passes_through_every_status_on_its_way(bare_simulator, bare_gateway):
    sent = bare_gateway.send_sms(MEMBER, "Hello")
    bare_simulator.wait_idle()
    message = bare_simulator.store.messages[sent.sid]
    assert message.statuses == ["queued", "sending", "sent", "delivered"]
    assert message.date_created <= message.date_sent <= message.date_updated


def test_a_text_that_fails_never_says_sent(bare_simulator, bare_gateway):
    bare_simulator.phone(MEMBER).texts_fail("failed", 30006)
    sent = bare_gateway.send_sms(MEMBER, "Hello")
    bare_simulator.wait_idle()
    message = bare_simulator.store.messages[sent.sid]
    assert (message.statuses, message.date_sent) == (["queued", "sending", "failed"], None)


def test_a_text_is_not_sent_the_instant_it_is_created(bare_simulator, bare_gateway):
    bare_simulator.carrier.timing = MessageTiming(queued=0.3, sending=0.1, delivery=0.1)
    sent = bare_gateway.send_sms(MEMBER, "Hello")
    assert (sent.status, sent.date_sent) == ("queued", None)
    bare_simulator.wait_idle()
    done = bare_gateway.fetch_message(sent.sid)
    assert done.status == "delivered"
    assert done.date_sent is not None and bare_simulator.phone(MEMBER).inbox == ["Hello"]


def test_texts_pace_themselves_like_twilio_unless_a_test_asks_otherwise():
    sim = Simulator(PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN, line_numbers=[LINE])
    assert sim.carrier.timing == TWILIO_LIKE
    pace = TWILIO_LIKE.queued + TWILIO_LIKE.sending
    assert 0.5 <= pace <= 4  # Twilio's own examples: date_sent 1-4 s after date_created
    sim.stop()


def test_a_held_text_stays_queued_and_can_be_fetched_and_listed(bare_simulator, bare_gateway):
    bare_simulator.carrier.hold()
    sent = bare_gateway.send_sms(MEMBER, "Hello")
    assert bare_simulator.wait_idle(timeout=5)  # a held text is not work in flight
    fetched = bare_gateway.fetch_message(sent.sid)
    (listed,) = bare_gateway.client.messages.list(to=MEMBER)
    assert (fetched.status, fetched.date_sent) == ("queued", None)
    assert (listed.sid, listed.status, listed.date_sent) == (sent.sid, "queued", None)
    today = utcnow().date().isoformat()
    assert bare_gateway.client.messages.list(to=MEMBER, date_sent_after=today) == []
    bare_simulator.carrier.release()
    bare_simulator.wait_idle()
    assert bare_gateway.fetch_message(sent.sid).status == "delivered"


def test_texts_beyond_the_sender_s_throughput_wait_their_turn(bare_simulator, bare_gateway):
    bare_simulator.carrier.per_second = 20
    sids = [bare_gateway.send_sms(MEMBER, f"text {n}").sid for n in range(4)]
    bare_simulator.wait_idle()
    texts = [bare_simulator.store.messages[sid] for sid in sids]
    first = texts[0].date_created
    # The k-th may not leave before k turns of 50 ms (a busy machine only makes it later).
    waited = [(text.date_sent - first).total_seconds() for text in texts]
    assert all(wait >= k * 0.049 for k, wait in enumerate(waited))
    assert waited[-1] >= 0.147


def test_a_messaging_service_text_has_no_sender_and_no_segments_until_one_is_picked(
    bare_simulator, tmp_path, fake_app
):
    service = "MG" + "3" * 32
    gateway = gateway_for(bare_simulator.url, tmp_path, TWILIO_MESSAGING_SERVICE_SID=service)
    created = gateway.send_sms(MEMBER, "Hello", status_callback=STATUS_URL)
    assert (created.status, created.from_, created.num_segments) == ("accepted", None, 0)
    bare_simulator.wait_idle()
    done = gateway.fetch_message(created.sid)
    assert (done.from_, done.num_segments) == (LINE, 1)
    callbacks = fake_app.to(STATUS_PATH)
    assert {r.params["MessagingServiceSid"] for r in callbacks} == {service}


def test_a_twiml_reply_travels_like_any_text(bare_simulator, fake_app):
    fake_app.documents["/twilio/sms"] = "<Response><Message>Thanks, got it</Message></Response>"
    assert bare_simulator.text_line(MEMBER, "hello") == ["Thanks, got it"]
    (reply,) = [m for m in bare_simulator.messages_to(MEMBER) if m.direction == "outbound-reply"]
    assert reply.statuses == ["queued", "sending", "sent", "delivered"]


def test_wait_idle_waits_for_texts_still_on_their_way(bare_simulator, bare_gateway):
    bare_simulator.carrier.timing = MessageTiming(queued=0.2, sending=0.2, delivery=0.2)
    sent = bare_gateway.send_sms(MEMBER, "Hello")
    assert bare_simulator.wait_idle()
    assert bare_simulator.store.messages[sent.sid].status == "delivered"


# --- list filters: every date form Twilio documents; a bad one is a 400 ---------------------


@pytest.mark.parametrize(
    "when",
    [
        "{today}",
        "{today}T00:00:00Z",
        "{today} 00:00:00.000",
        "{today}T00:00:00.000+0000",
        "{us} 00:00:00 GMT",
        "{rfc}",
    ],
)
def test_date_sent_accepts_the_forms_twilio_documents(bare_simulator, bare_gateway, when):
    bare_gateway.send_sms(MEMBER, "Hello")
    bare_simulator.wait_idle()
    today = utcnow().date()
    forms = {
        "today": today.isoformat(),
        "us": today.strftime("%m/%d/%Y"),
        "rfc": today.strftime("%a, %d %b %Y 00:00:00 -0000"),
    }
    bound = when.format(**forms)
    assert len(listed(bare_simulator, {"To": MEMBER, "DateSent>": bound})) == 1
    assert listed(bare_simulator, {"To": MEMBER, "DateSent<": "2019-06-11"}) == []


@pytest.mark.parametrize(
    "when",
    ["06/11/2019 22:05:25 MST", "2019-06-11 22:05:25.000", "Wed, 19 Jun 2019 22:04:00 -0000"],
)
def test_the_spec_s_own_example_date_formats_are_answered(bare_simulator, when):
    response = requests.get(
        messages_url(bare_simulator),
        params={"DateSent>": when, "PageSize": 25},
        auth=AUTH,
        timeout=10,
    )
    assert response.status_code == 200 and response.json()["messages"] == []


def test_date_sent_on_a_day_and_a_timestamp_compare_as_twilio_does(bare_simulator, bare_gateway):
    sent = bare_gateway.send_sms(MEMBER, "Hello")
    bare_simulator.wait_idle()
    date_sent = bare_simulator.store.messages[sent.sid].date_sent
    second = date_sent.strftime("%Y-%m-%dT%H:%M:%SZ")
    after = (date_sent + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(listed(bare_simulator, {"DateSent": date_sent.date().isoformat()})) == 1
    assert len(listed(bare_simulator, {"DateSent": second})) == 1
    assert len(listed(bare_simulator, {"DateSent<": second})) == 1
    assert listed(bare_simulator, {"DateSent>": after}) == []


@pytest.mark.parametrize(
    "params",
    [
        {"DateSent": "2026-13-45"},
        {"DateSent>": ">=2019-08-08"},
        {"DateSent<": "yesterday"},
        {"PageSize": "abc"},
        {"PageSize": "0"},
        {"Page": "-1"},
    ],
)
def test_a_bad_filter_gets_twilio_s_400_not_a_dropped_connection(bare_simulator, params):
    response = requests.get(messages_url(bare_simulator), params=params, auth=AUTH, timeout=10)
    assert response.status_code == 400
    assert response.json()["code"] == 20001 and response.json()["status"] == 400


def listed(sim, params) -> list[dict]:
    response = requests.get(messages_url(sim), params=params, auth=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def messages_url(sim) -> str:
    return f"{sim.url}/2010-04-01/Accounts/{PLACEHOLDER_ACCOUNT_SID}/Messages.json"
