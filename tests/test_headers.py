"""Security headers on every response, not only console pages (security review L11): nothing
is sniffed as another type, nothing is framed, and in production the browser is told to keep
to https."""

from __future__ import annotations

import secrets

import pytest

from app import create_app


@pytest.mark.parametrize("path", ["/healthz", "/no-such-page", "/recordings/1.wav?e=1&s=00"])
def test_every_response_forbids_sniffing_framing_and_loading(client, path):
    headers = client.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # development is plain http


def test_a_webhook_answer_carries_them_too(twilio):
    headers = twilio.call().headers
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_console_pages_keep_their_own_policy(client):
    headers = client.get("/console/sign-in").headers
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_production_tells_browsers_to_keep_to_https(settings):
    production = {
        **settings,
        "PHONELINE_ENV": "production",
        "DATABASE_URL": "postgresql+psycopg://line@127.0.0.1:9/line",
        "TWILIO_ACCOUNT_SID": "AC" + "c4" * 16,
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "PUBLIC_BASE_URL": "https://line.example.org",
        "SECRET_KEY": secrets.token_hex(32),
    }
    headers = create_app(production, serving=False).test_client().get("/no-such-page").headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
