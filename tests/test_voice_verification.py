"""PINs and one-time codes (SPEC §7.5, §7.7)."""

from datetime import UTC, datetime, timedelta

import pytest

from app.models import Member
from app.services import verification

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
SECRET = "test-secret-key"


@pytest.fixture
def member():
    row = Member(phone="+14155550100", pin_failures=0)
    verification.set_pin(row, "2468")
    return row


def test_the_right_pin_passes(member):
    assert verification.check_pin(member, "2468", 0, NOW) == "ok"


def test_the_third_wrong_pin_in_a_call_locks_it_for_fifteen_minutes(member):
    results = [verification.check_pin(member, "1111", tries, NOW) for tries in range(3)]
    assert results == ["wrong", "wrong", "locked"]
    assert verification.check_pin(member, "2468", 0, NOW + timedelta(minutes=14)) == "locked"
    assert verification.check_pin(member, "2468", 0, NOW + timedelta(minutes=16)) == "ok"


def test_ten_wrong_pins_in_a_day_lock_it_until_it_is_reset(member):
    for attempt in range(10):
        verification.check_pin(member, "1111", attempt % 2, NOW + timedelta(minutes=20 * attempt))
    later = NOW + timedelta(days=30)
    assert verification.check_pin(member, "2468", 0, later) == "locked"
    verification.set_pin(member, "1357")
    assert verification.check_pin(member, "1357", 0, later) == "ok"


def test_a_number_that_is_not_a_member_gets_the_same_answers(member):
    stranger = [verification.check_pin(None, "1111", tries, NOW) for tries in range(4)]
    wrong = [verification.check_pin(member, "1111", tries, NOW) for tries in range(4)]
    assert stranger == wrong == ["wrong", "wrong", "locked", "locked"]


def test_a_one_time_code_works_once(redis_client):
    code = verification.issue_code(redis_client, "+14155550100", SECRET)
    assert len(code) == 6 and code.isdigit()
    assert verification.check_code(redis_client, "+14155550100", code, SECRET)
    assert not verification.check_code(redis_client, "+14155550100", code, SECRET)


def test_a_one_time_code_allows_three_tries(redis_client):
    code = verification.issue_code(redis_client, "+14155550100", SECRET)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        assert not verification.check_code(redis_client, "+14155550100", wrong, SECRET)
    assert not verification.check_code(redis_client, "+14155550100", code, SECRET)


def test_a_code_is_kept_only_as_a_hash_and_expires(redis_client):
    code = verification.issue_code(redis_client, "+14155550100", SECRET)
    (key,) = list(redis_client.scan_iter("phoneline:otp:*"))
    assert code.encode() not in b"".join(redis_client.hgetall(key).values())
    assert b"4155550100" not in key
    assert 0 < redis_client.ttl(key) <= 600
