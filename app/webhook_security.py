"""Twilio webhook signatures (SPEC §14), checked on every ``/twilio/*`` route.

The URL Twilio signed is ``PUBLIC_BASE_URL`` + path + query, never the URL Flask thinks it
served (a proxy in front changes scheme and host). Twilio may add ``StirVerstat`` or
``CallToken`` after signing, so a failed check is tried once more without them.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Request
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

_ADDED_AFTER_SIGNING = ("StirVerstat", "CallToken")


def signed_url(public_base_url: str, request: Request) -> str:
    query = request.query_string.decode("utf-8", "replace")
    return f"{public_base_url}{request.path}" + (f"?{query}" if query else "")


def is_signed(request: Request, public_base_url: str, tokens: Iterable[str]) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    url = signed_url(public_base_url, request)
    params = request.form if request.method == "POST" else MultiDict()
    for token in tokens:
        validator = RequestValidator(token)
        if validator.validate(url, params, signature):
            return True
        if any(name in params for name in _ADDED_AFTER_SIGNING):
            stripped = MultiDict(
                [(k, v) for k, v in params.items(multi=True) if k not in _ADDED_AFTER_SIGNING]
            )
            if validator.validate(url, stripped, signature):
                return True
    return False
