"""Helpers for console tests: accounts, signing in, and the CSRF token a page carries."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.models import Facilitator
from app.services import users
from app.services.users import NewUser

PASSWORD = "correct horse battery"
COORDINATOR = "lee@example.org"
FACILITATOR = "ana@example.org"
_TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


def account(session: Session, email: str, role: str, facilitator: str | None = None) -> str:
    users.add(session, NewUser(email, PASSWORD, role, facilitator))
    session.commit()
    return email


def coordinator_and_facilitator(session: Session) -> Facilitator:
    """Lee, a coordinator, and Ana, a facilitator with an account of her own; returns Ana."""
    ana = Facilitator(slug="ana", name="Ana R.", phone="+14155550124", languages=["en"])
    session.add(ana)
    session.flush()
    account(session, COORDINATOR, "coordinator")
    account(session, FACILITATOR, "facilitator", "ana")
    return ana


def token(client: FlaskClient) -> str:
    page = client.get("/console/sign-in").get_data(as_text=True)
    found = _TOKEN.search(page)
    assert found, "every console page carries its CSRF token"
    return found.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    form = {"email": email, "password": password, "csrf_token": token(client)}
    return client.post("/console/sign-in", data=form)


def post(client: FlaskClient, path: str, **form: object) -> TestResponse:
    return client.post(path, data={"csrf_token": token(client), **form})
