"""Requests signed exactly as Twilio signs them, with the real ``RequestValidator``."""

from __future__ import annotations

from collections.abc import Mapping

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from tests.privacy_scan import remember


def signature(token: str, url: str, params: Mapping[str, str]) -> str:
    return RequestValidator(token).compute_signature(url, dict(params))


def signed_post(
    client: FlaskClient,
    base_url: str,
    path: str,
    params: Mapping[str, str],
    token: str,
    *,
    signed_params: Mapping[str, str] | None = None,
) -> TestResponse:
    """POST ``params`` to ``path`` signed over ``signed_params`` (default: ``params``), so a test
    can add parameters after signing as Twilio sometimes does."""
    remember(params)  # for the privacy scan: these numbers and bodies must not leak
    url = base_url + path
    sig = signature(token, url, signed_params if signed_params is not None else params)
    return client.post(path, data=dict(params), headers={"X-Twilio-Signature": sig})
