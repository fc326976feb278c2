"""The simulator's HTTP front: keep-alive HTTP/1.1, and every response written in ONE send.

``BaseHTTPRequestHandler`` writes the status line and headers in one ``send`` and the body in a
second; with Nagle's algorithm on one side and delayed ACKs on the other, a keep-alive client
then waits about 40 ms for every response. Building the whole response first avoids that.
"""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.simulator.api import Reply, Request

# Returns the reply, or None to drop the connection without answering (a held request).
Dispatch = Callable[[Request], Reply | None]


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], dispatch: Dispatch) -> None:
        super().__init__(address, Handler)
        self.dispatch = dispatch


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:  # the name http.server dispatches to
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def do_PUT(self) -> None:  # no Twilio route takes it: Twilio's 405 JSON, not http.server's 501
        self._answer()

    def do_PATCH(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: request lines carry phone numbers in their query strings."""

    def _answer(self) -> None:
        reply = self.server.dispatch(self._request())
        if reply is None:
            self.close_connection = True
            return
        self.wfile.write(_encode(reply))

    def _request(self) -> Request:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        parts = urlsplit(self.path)
        return Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            form=parse_qs(raw, keep_blank_values=True),
            auth=_basic_auth(self.headers.get("Authorization", "")),
        )


def _encode(reply: Reply) -> bytes:
    phrase = HTTPStatus(reply.status).phrase
    headers = [
        f"HTTP/1.1 {reply.status} {phrase}",
        f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime())}",
        f"Content-Length: {len(reply.body)}",
        "Twilio-Request-Id: RQ" + "0" * 32,
    ]
    if reply.body:
        headers.append(f"Content-Type: {reply.content_type}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode("latin-1") + reply.body


def _basic_auth(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password
