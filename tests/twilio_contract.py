"""Twilio's own description of its REST API (the api v2010 subset in
``tests/data/twilio/``), turned into checks on what an HTTP answer holds: the status code the
operation lists, the JSON body validated as OpenAPI 3.0 (``nullable`` honoured) with every
property present and no other, the formats (RFC 2822 dates, URIs, E.164 numbers), and Twilio's
error shape ``{code, message, more_info, status}``."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator, validate

SPEC_PATH = Path(__file__).parent / "data" / "twilio" / "api_v2010_subset.json"
METHODS = ("get", "post", "delete")
API_PATH = re.compile(r"^/2010-04-01/Accounts/AC[0-9a-f]{32}/[\w/]+\.json$")
RFC_2822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$"
)
# Twilio's error body (twilio-python's TwilioRestException reads these four).
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string", "format": "uri"},
        "status": {"type": "integer"},
    },
    "required": ["code", "message", "more_info", "status"],
    "additionalProperties": False,
}

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time-rfc-2822")
def _rfc_2822(value: object) -> bool:
    """``Fri, 24 May 2019 17:44:46 +0000``: GMT, and a weekday that is that day's."""
    if not isinstance(value, str) or not RFC_2822.match(value):
        return False
    return format_datetime(parsedate_to_datetime(value)) == value


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    """An absolute http(s) URL, or a path under the API (Twilio's paging URIs are relative)."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    if parts.scheme:
        return parts.scheme in ("http", "https") and bool(parts.netloc)
    return bool(API_PATH.match(parts.path))


@FORMATS.checks("uri-map")
def _uri_map(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(uri, str) and API_PATH.match(uri) for uri in value.values()
    )


@FORMATS.checks("phone-number")
def _phone_number(value: object) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"\+[1-9]\d{1,14}", value))


@FORMATS.checks("currency")
def _currency(value: object) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"[A-Z]{3}", value))


class HttpAnswer(Protocol):
    """What ``requests`` gives back, as the twilio client saw it."""

    status_code: int
    headers: Any
    content: bytes

    def json(self) -> Any: ...


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    spec: dict[str, Any]

    def examples(self) -> list[dict[str, Any]]:
        found = []
        for answer in self.spec["responses"].values():
            for content in answer.get("content", {}).values():
                found += [example["value"] for example in content.get("examples", {}).values()]
        return found


class Contract:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = _strict(spec)
        self.operations = {
            operation["operationId"]: Operation(operation["operationId"], method, path, operation)
            for path, item in self.spec["paths"].items()
            for method, operation in item.items()
            if method in METHODS
        }

    @classmethod
    def load(cls) -> Contract:
        return cls(json.loads(SPEC_PATH.read_text()))

    def check(self, operation_id: str, answer: HttpAnswer) -> Any:
        """The body, once the status code is one the spec lists for the operation and the body
        is what that status's schema describes (no body where it describes none)."""
        operation = self.operations[operation_id]
        listed = operation.spec["responses"]
        status = str(answer.status_code)
        assert status in listed, f"{operation_id} answered {status}; the spec lists {list(listed)}"
        content = listed[status].get("content")
        if content is None:
            assert answer.content == b"", f"{operation_id} {status} has a body"
            return None
        assert answer.headers["Content-Type"].startswith("application/json")
        body = answer.json()
        self.validate(body, content["application/json"]["schema"])
        return body

    def validate(self, body: Any, schema: dict[str, Any]) -> None:
        root = {**schema, "components": self.spec["components"]}
        try:
            validate(
                body, root, cls=OAS30Validator, format_checker=FORMATS,
                enforce_properties_required=True, check_schema=False,
            )  # fmt: skip
        except ValidationError as wrong:
            where = "/".join(str(part) for part in wrong.absolute_path) or "the body"
            raise AssertionError(f"{where}: {wrong.message}") from None

    def check_error(self, answer: HttpAnswer, status: int, code: int) -> dict[str, Any]:
        """Twilio's error: that HTTP status, the same status and the code in the JSON body."""
        assert answer.headers["Content-Type"].startswith("application/json")
        body = answer.json()
        self.validate(body, ERROR_SCHEMA)
        assert (answer.status_code, body["status"], body["code"]) == (status, status, code)
        assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
        return dict(body)


def _strict(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with ``additionalProperties: false`` on every object it describes: Twilio sends
    exactly the properties its schemas list (an extra one is a difference, e.g. a property the
    spec dropped)."""
    strict = copy.deepcopy(spec)
    _close(strict)
    return strict


def _close(node: Any) -> None:
    if isinstance(node, dict):
        if "properties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)
