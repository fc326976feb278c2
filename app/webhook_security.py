"""Twilio webhook signatures (SPEC §14), checked on every ``/twilio/*`` route.

The URL Twilio signed is ``PUBLIC_BASE_URL`` + path + query, never the URL Flask thinks it
served (a proxy in front changes scheme and host). Twilio may add ``StirVerstat`` or
``CallToken`` after signing, so a failed check is tried once more without them. When only that
second check passes, nothing vouches for those parameters: anyone holding one captured request
could have added them (security review M1), so the views must not believe them.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Request
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

ADDED_AFTER_SIGNING = frozenset({"StirVerstat", "CallToken"})


def signed_url(public_base_url: str, request: Request) -> str:
    query = request.query_string.decode("utf-8", "replace")
    return f"{public_base_url}{request.path}" + (f"?{query}" if query else "")


def unsigned_params(
    request: Request, public_base_url: str, tokens: Iterable[str]
) -> frozenset[str] | None:
    """None when the request is not signed; else the names of the parameters its signature
    does not cover (empty when it covers them all)."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return None
    url = signed_url(public_base_url, request)
    params = request.form if request.method == "POST" else MultiDict()
    added = frozenset(name for name in ADDED_AFTER_SIGNING if name in params)
    for token in tokens:
        validator = RequestValidator(token)
        if validator.validate(url, params, signature):
            return frozenset()
        if added:
            stripped = MultiDict(
                [(k, v) for k, v in params.items(multi=True) if k not in ADDED_AFTER_SIGNING]
            )
            if validator.validate(url, stripped, signature):
                return added
    return None
