"""Console access that can be taken back (security review M3, M9, L10): sessions end on the
server when their account signs out, is disabled, re-passworded or removed, or its facilitator
leaves the directory, and 12 hours after sign-in whatever happens in between; sign-in attempts
are counted before the password is checked, with a delay instead of a lockout."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from app.cli import cli
from app.models import AuditEntry, User
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

COOKIE = "phoneline_console"
WRONG = "not the password"


@pytest.fixture
def people(session):
    return coordinator_and_facilitator(session)


def signed_in(app: Flask, email: str = COORDINATOR) -> FlaskClient:
    browser = app.test_client()
    assert sign_in(browser, email).status_code == 302
    return browser


def copy_of(app: Flask, browser: FlaskClient) -> FlaskClient:
    """Another browser holding the same cookie, as someone who copied it would."""
    other = app.test_client()
    cookie = browser.get_cookie(COOKIE)
    assert cookie is not None
    other.set_cookie(COOKIE, cookie.value)
    return other


def lets_in(browser: FlaskClient, page: str = "/console/members") -> bool:
    return browser.get(page).status_code == 200


def users_command(app: Flask, *args: str, password: str | None = None):
    runner = app.test_cli_runner()
    return runner.invoke(cli, ["users", *args], input=f"{password}\n" if password else None)


def attempt(
    client: FlaskClient, email: str, password: str, address: str = "127.0.0.1", **kw
) -> int:
    form = {"email": email, "password": password, "csrf_token": token(client)}
    environ = {"REMOTE_ADDR": address}
    return client.post("/console/sign-in", data=form, environ_base=environ, **kw).status_code


# --- sessions end on the server ---------------------------------------------------------------


def test_it_ends_a_copied_session_when_its_owner_signs_out(app, people):
    browser = signed_in(app)
    stolen = copy_of(app, browser)
    assert lets_in(stolen)
    assert post(browser, "/console/sign-out").status_code == 302
    assert not lets_in(stolen)


def test_users_disable_ends_every_session_and_refuses_the_right_password(app, people):
    browser = signed_in(app)
    result = users_command(app, "disable", COORDINATOR)
    assert result.exit_code == 0, result.output
    assert not lets_in(browser)
    assert sign_in(app.test_client(), COORDINATOR).status_code == 401


def test_users_enable_lets_a_disabled_account_sign_in_again(app, people):
    users_command(app, "disable", COORDINATOR)
    assert users_command(app, "enable", COORDINATOR).exit_code == 0
    assert lets_in(signed_in(app))


def test_users_password_sets_a_new_one_and_ends_every_session(app, people):
    browser = signed_in(app)
    result = users_command(app, "password", COORDINATOR, password="a brand new password")
    assert result.exit_code == 0, result.output
    assert not lets_in(browser)
    assert sign_in(app.test_client(), COORDINATOR).status_code == 401
    assert sign_in(app.test_client(), COORDINATOR, "a brand new password").status_code == 302


def test_users_password_refuses_a_short_one_and_changes_nothing(app, people):
    browser = signed_in(app)
    result = users_command(app, "password", COORDINATOR, password="short")
    assert result.exit_code == 1 and "at least 10 characters" in result.output
    assert lets_in(browser)


def test_users_remove_deletes_the_account_and_its_sessions(app, session, people):
    browser = signed_in(app)
    assert users_command(app, "remove", COORDINATOR).exit_code == 0
    assert not lets_in(browser)
    assert fresh(session).scalars(select(User).where(User.email == COORDINATOR)).first() is None


def test_users_commands_name_an_unknown_account_and_exit_1(app, people):
    result = users_command(app, "disable", "nobody@example.org")
    assert result.exit_code == 1 and "no account nobody@example.org" in result.output


def test_users_list_shows_who_can_sign_in(app, people):
    users_command(app, "disable", COORDINATOR)
    listing = users_command(app, "list").output
    assert f"{COORDINATOR}  coordinator  -  disabled" in listing
    assert f"{FACILITATOR}  facilitator  ana  active" in listing


def test_every_account_change_is_in_the_audit_log(app, session, people):
    users_command(app, "disable", COORDINATOR)
    users_command(app, "enable", COORDINATOR)
    users_command(app, "password", COORDINATOR, password="a brand new password")
    users_command(app, "remove", FACILITATOR)
    actions = fresh(session).scalars(select(AuditEntry.action).where(AuditEntry.actor == "cli"))
    assert list(actions) == ["user.disable", "user.enable", "user.password", "user.remove"]


def test_a_facilitator_who_left_the_directory_is_signed_out_and_cannot_sign_in(
    app, session, people
):
    browser = signed_in(app, FACILITATOR)
    assert lets_in(browser, "/console/callbacks")
    people.active = False  # what `phoneline import --prune` does
    session.commit()
    assert not lets_in(browser, "/console/callbacks")
    assert sign_in(app.test_client(), FACILITATOR).status_code == 401


def test_a_session_ends_12_hours_after_sign_in_however_busy_it_was(app, people):
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as clock:
        browser = signed_in(app)
        for _ in range(5):
            clock.shift(timedelta(hours=2, minutes=20))
            assert lets_in(browser)  # a page every couple of hours does not stretch it
        clock.shift(timedelta(hours=1))  # 12 h 40 min after sign-in
        assert not lets_in(browser)


# --- the sign-in limit ------------------------------------------------------------------------


def test_twelve_parallel_guesses_get_at_most_five_passwords_checked(app, session, people):
    browsers = [app.test_client() for _ in range(12)]
    tokens = [token(browser) for browser in browsers]
    start, answers = threading.Barrier(12), []

    def guess(browser: FlaskClient, csrf: str) -> None:
        start.wait()
        form = {"email": COORDINATOR, "password": WRONG, "csrf_token": csrf}
        answers.append(browser.post("/console/sign-in", data=form).status_code)

    threads = [
        threading.Thread(target=guess, args=pair) for pair in zip(browsers, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(answers) == {401: 5, 429: 7}
    failed = select(AuditEntry).where(AuditEntry.action == "sign_in.failed")
    assert len(fresh(session).scalars(failed).all()) == 5


def test_after_five_wrong_passwords_the_next_try_must_wait(client, people):
    for _ in range(5):
        assert attempt(client, COORDINATOR, WRONG) == 401
    assert attempt(client, COORDINATOR, PASSWORD) == 429


def test_someone_guessing_from_elsewhere_does_not_hold_the_owner_out(app, people):
    guesser = app.test_client()
    for _ in range(12):
        attempt(guesser, COORDINATOR, WRONG, address="203.0.113.5")
    assert attempt(app.test_client(), COORDINATOR, PASSWORD, address="198.51.100.7") == 302


def test_a_signed_in_owner_starts_afresh(client, people):
    for _ in range(4):
        attempt(client, COORDINATOR, WRONG)
    assert attempt(client, COORDINATOR, PASSWORD) == 302
    for _ in range(4):
        assert attempt(client, COORDINATOR, WRONG) == 401


def test_behind_a_trusted_proxy_each_client_address_has_its_own_budget(settings, people):
    proxied = create_app({**settings, "TRUSTED_PROXIES": "1"}).test_client()
    for n in range(20):
        attempt(proxied, f"guess{n}@example.org", WRONG, headers={"X-Forwarded-For": "192.0.2.9"})
    forwarded = {"X-Forwarded-For": "192.0.2.9"}
    assert attempt(proxied, "guess21@example.org", WRONG, headers=forwarded) == 429
    assert attempt(proxied, COORDINATOR, PASSWORD, headers={"X-Forwarded-For": "192.0.2.10"}) == 302


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(client, people):
    for n in range(20):
        forged = {"X-Forwarded-For": f"192.0.2.{n}"}
        attempt(client, f"guess{n}@example.org", WRONG, headers=forged)
    assert attempt(client, COORDINATOR, PASSWORD, headers={"X-Forwarded-For": "192.0.2.99"}) == 429


def test_a_failed_sign_in_is_audited_under_a_hashed_email_never_the_email(client, session, people):
    attempt(client, COORDINATOR, WRONG)
    attempt(client, COORDINATOR, WRONG)
    attempt(client, "nobody@example.org", WRONG)
    failed = fresh(session).scalars(
        select(AuditEntry.actor).where(AuditEntry.action == "sign_in.failed")
    )
    actors = list(failed)
    assert len(actors) == 3 and all(a.startswith("email:") for a in actors)
    assert actors[0] == actors[1] != actors[2]
    assert not any("lee" in a or "nobody" in a for a in actors)
