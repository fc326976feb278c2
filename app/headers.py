"""Headers on every response of the app: webhooks, health, recordings, errors and the console.

The console sets its own, richer policy (``app.console.security.headers``); what is set there
is kept. Everything else gets the strictest policy that still works for it: nothing in these
responses needs to load, frame or refer to anything.
"""

from __future__ import annotations

from flask import Response

from app.extensions import config

# A year: the browser keeps using https for the console even if someone types http://.
HSTS = "max-age=31536000"
NOTHING_ALLOWED = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Content-Security-Policy", NOTHING_ALLOWED)
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if config().is_production:
        # Only in production: it is https there (config refuses anything else), while a
        # development line on http://127.0.0.1 would pin the browser to https for a year.
        headers["Strict-Transport-Security"] = HSTS
    return response
